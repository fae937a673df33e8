/**
 * Mazes as in build_maze_dataset.py: an N x N grid of the characters `# SGo` (tokens 1..5:
 * wall, open, start, goal, path; PAD 0, vocab 6). The input holds walls, open cells, S and G;
 * the label adds `o` on the cells of a shortest S-G path.
 */
import type { Grid } from '../grid/grid.js';

export const MAZE_CHARS = '# SGo';
export const WALL = 1;
export const OPEN = 2;
export const START = 3;
export const GOAL = 4;
export const PATH = 5;
export const MAZE_VOCAB_SIZE = MAZE_CHARS.length + 1;

/** Maze-Hard keeps mazes whose shortest path is longer than 110 moves at 30x30; scaled by area below. */
export function mazeHardThreshold(size: number): number {
  return Math.round((110 * size * size) / 900);
}

export function mazeToText(g: Grid): string {
  return Array.from({ length: g.rows }, (_, r) =>
    Array.from(g.data.subarray(r * g.cols, (r + 1) * g.cols), (t) => (t === 0 ? '?' : MAZE_CHARS[t - 1])).join(''),
  ).join('\n');
}

/** Tokens of a row-major string of `# SGo` characters; `where` names errors. */
export function mazeTokensFromText(text: string, where: string): Int32Array {
  return Int32Array.from(text, (ch, i) => {
    const t = MAZE_CHARS.indexOf(ch);
    if (t < 0) throw new Error(`${where}: invalid maze character '${ch}' at position ${i + 1}`);
    return t + 1;
  });
}

const NEIGHBOURS = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
] as const;

/** Breadth-first distances (moves) from `from` over non-wall cells; -1 where unreachable. */
export function mazeDistances(g: Grid, from: number): Int32Array {
  const dist = new Int32Array(g.data.length).fill(-1);
  const queue = new Int32Array(g.data.length);
  let head = 0;
  let tail = 0;
  dist[from] = 0;
  queue[tail++] = from;
  while (head < tail) {
    const cell = queue[head++]!;
    const r = Math.floor(cell / g.cols);
    const c = cell % g.cols;
    for (const [dr, dc] of NEIGHBOURS) {
      const nr = r + dr;
      const nc = c + dc;
      if (nr < 0 || nc < 0 || nr >= g.rows || nc >= g.cols) continue;
      const next = nr * g.cols + nc;
      if (dist[next] !== -1 || g.data[next] === WALL) continue;
      dist[next] = dist[cell]! + 1;
      queue[tail++] = next;
    }
  }
  return dist;
}

/** The label: the input with `o` on the cells strictly between S and G of one shortest path. */
export function solveMaze(input: Grid): Grid {
  const start = input.data.indexOf(START);
  const goal = input.data.indexOf(GOAL);
  if (start < 0 || goal < 0) throw new Error('the maze needs one S and one G');
  const dist = mazeDistances(input, goal);
  if (dist[start] === -1) throw new Error('G is unreachable from S');
  const label = { ...input, data: Int32Array.from(input.data) };
  // Walk from S downhill in distance to G: every step is on a shortest path.
  let cell = start;
  while (dist[cell] !== 0) {
    const r = Math.floor(cell / input.cols);
    const c = cell % input.cols;
    for (const [dr, dc] of NEIGHBOURS) {
      const nr = r + dr;
      const nc = c + dc;
      const next = nr * input.cols + nc;
      if (nr >= 0 && nc >= 0 && nr < input.rows && nc < input.cols && dist[next] === dist[cell]! - 1) {
        cell = next;
        break;
      }
    }
    if (cell !== goal) label.data[cell] = PATH;
  }
  return label;
}
