import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dihedralTransform, type Grid } from '../grid/grid.js';
import { Rng } from '@hrm-webgpu/tensor';
import { buildMazeSplit, parseMazeCsv } from './build.js';
import { generateMaze } from './generator.js';
import { GOAL, mazeHardThreshold, mazeToText, OPEN, PATH, START, WALL } from './maze.js';

/** Shortest path length by repeated relaxation: independent of the BFS under test. */
function relaxedDistance(g: Grid, from: number, to: number): number {
  const dist = new Array<number>(g.data.length).fill(Infinity);
  dist[from] = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < g.data.length; i++) {
      if (g.data[i] === WALL) continue;
      const r = Math.floor(i / g.cols);
      const c = i % g.cols;
      for (const n of [r > 0 ? i - g.cols : -1, r < g.rows - 1 ? i + g.cols : -1, c > 0 ? i - 1 : -1, c < g.cols - 1 ? i + 1 : -1]) {
        if (n >= 0 && dist[n]! + 1 < dist[i]!) {
          dist[i] = dist[n]! + 1;
          changed = true;
        }
      }
    }
  }
  return dist[to]!;
}

function checkMaze(input: Grid, label: Grid, minPath: number): void {
  const start = input.data.indexOf(START);
  const goal = input.data.indexOf(GOAL);
  expect(input.data.filter((t) => t === START).length).toBe(1);
  expect(input.data.filter((t) => t === GOAL).length).toBe(1);
  expect(input.data.includes(PATH)).toBe(false);
  // The label differs from the input only by path marks on open cells.
  label.data.forEach((t, i) => expect(t === input.data[i] || (t === PATH && input.data[i] === OPEN)).toBe(true));
  // The path cells plus S and G form a connected chain from S to G, as long as the shortest distance.
  const onPath = new Set([...label.data.keys()].filter((i) => label.data[i] === PATH));
  const pathLength = onPath.size + 1;
  expect(pathLength).toBe(relaxedDistance(input, start, goal));
  expect(pathLength).toBeGreaterThan(minPath);
  const pathOnly = { ...input, data: input.data.map((t, i) => (onPath.has(i) || t === START || t === GOAL ? OPEN : WALL)) };
  expect(relaxedDistance(pathOnly, start, goal)).toBe(pathLength);
}

describe('maze generator', () => {
  it('labels a valid shortest path longer than the threshold (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.constantFrom(7, 10, 15), (seed, size) => {
        const minPath = mazeHardThreshold(size);
        const m = generateMaze({ size, minPathLength: minPath }, Rng.fromSeed(seed));
        checkMaze(m.input, m.label, minPath);
        expect(m.pathLength).toBe(m.label.data.filter((t) => t === PATH).length + 1);
      }),
      { numRuns: 40 },
    );
  });

  it('meets the Maze-Hard rule at 30x30', () => {
    expect(mazeHardThreshold(30)).toBe(110);
    const m = generateMaze({ size: 30, minPathLength: 110 }, Rng.fromSeed(5));
    checkMaze(m.input, m.label, 110);
  });

  it('keeps the path valid under every dihedral transform', () => {
    const m = generateMaze({ size: 12, minPathLength: mazeHardThreshold(12) }, Rng.fromSeed(2));
    for (let t = 0; t < 8; t++) checkMaze(dihedralTransform(m.input, t), dihedralTransform(m.label, t), mazeHardThreshold(12));
  });

  it('builds one group per maze, 8 puzzles each when augmenting, and reads the CSV back', () => {
    const rng = Rng.fromSeed(9);
    const mazes = [0, 1].map(() => generateMaze({ size: 8, minPathLength: 5 }, rng));
    const d = buildMazeSplit(mazes, { augment: true });
    expect(Array.from(d.groupIndices)).toEqual([0, 8, 16]);
    expect(d.metadata).toMatchObject({ seq_len: 64, vocab_size: 6 });
    const row = (g: Grid) => mazeToText(g).replace(/\n/g, '');
    const csv = `source,question,answer,rating\n${mazes.map((m) => `gen,${row(m.input)},${row(m.label)},0`).join('\n')}\n`;
    const back = parseMazeCsv(csv.split('\n'), 'm.csv');
    expect(Array.from(back[1]!.label.data)).toEqual(Array.from(mazes[1]!.label.data));
    expect(() => parseMazeCsv(csv.replace('#', 'x').split('\n'), 'm.csv')).toThrow(/m\.csv:2: invalid maze character 'x'/);
  });
});
