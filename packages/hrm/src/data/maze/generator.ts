/**
 * Random N x N mazes: a recursive backtracker (depth-first carving) over the cells at odd
 * coordinates, then extra openings (knocked-out interior walls) so that paths are not unique
 * and "shortest" matters; S and G are placed with a shortest path longer than `minPathLength`.
 */
import type { Grid } from '../grid/grid.js';
import type { Rng } from '@hrm-webgpu/tensor';
import { GOAL, mazeDistances, OPEN, solveMaze, START, WALL } from './maze.js';

export interface MazeOptions {
  size: number;
  /** Shortest S-G path must be longer than this many moves (Maze-Hard: mazeHardThreshold). */
  minPathLength: number;
  /** Probability of opening each interior wall cell after carving. */
  extraOpenings?: number;
  /** Mazes drawn before giving up. */
  maxAttempts?: number;
}

export interface GeneratedMaze {
  input: Grid;
  label: Grid;
  pathLength: number;
}

function carve(size: number, rng: Rng): Grid {
  const data = new Int32Array(size * size).fill(WALL);
  const cellsPerSide = Math.floor((size - 1) / 2);
  const at = (r: number, c: number) => (2 * r + 1) * size + 2 * c + 1;
  const visited = new Uint8Array(cellsPerSide * cellsPerSide);
  const stack: number[] = [rng.int(0, cellsPerSide * cellsPerSide - 1)];
  visited[stack[0]!] = 1;
  data[at(Math.floor(stack[0]! / cellsPerSide), stack[0]! % cellsPerSide)] = OPEN;
  while (stack.length > 0) {
    const cell = stack[stack.length - 1]!;
    const r = Math.floor(cell / cellsPerSide);
    const c = cell % cellsPerSide;
    const options = [
      [r - 1, c],
      [r + 1, c],
      [r, c - 1],
      [r, c + 1],
    ].filter(([nr, nc]) => nr! >= 0 && nc! >= 0 && nr! < cellsPerSide && nc! < cellsPerSide && !visited[nr! * cellsPerSide + nc!]);
    if (options.length === 0) {
      stack.pop();
      continue;
    }
    const [nr, nc] = options[rng.int(0, options.length - 1)]! as [number, number];
    visited[nr * cellsPerSide + nc] = 1;
    data[at(nr, nc)] = OPEN;
    data[(r + nr + 1) * size + c + nc + 1] = OPEN; // the wall between the two cells
    stack.push(nr * cellsPerSide + nc);
  }
  return { rows: size, cols: size, data };
}

function openExtraWalls(g: Grid, probability: number, rng: Rng): void {
  for (let r = 1; r < g.rows - 1; r++) {
    for (let c = 1; c < g.cols - 1; c++) {
      if (g.data[r * g.cols + c] === WALL && rng.uniform() < probability) g.data[r * g.cols + c] = OPEN;
    }
  }
}

/** Places S and G with a shortest path longer than `minPathLength`; null when this maze has none. */
function placeEnds(g: Grid, minPathLength: number, rng: Rng): GeneratedMaze | null {
  const open = [...g.data.keys()].filter((i) => g.data[i] === OPEN);
  for (let tries = 0; tries < 8 && open.length > 1; tries++) {
    const start = open[rng.int(0, open.length - 1)]!;
    const dist = mazeDistances(g, start);
    const goals = open.filter((i) => dist[i]! > minPathLength);
    if (goals.length === 0) continue;
    const goal = goals[rng.int(0, goals.length - 1)]!;
    const input = { ...g, data: Int32Array.from(g.data) };
    input.data[start] = START;
    input.data[goal] = GOAL;
    return { input, label: solveMaze(input), pathLength: dist[goal]! };
  }
  return null;
}

export function generateMaze(opts: MazeOptions, rng: Rng): GeneratedMaze {
  const { size, minPathLength, extraOpenings = 0.1, maxAttempts = 200 } = opts;
  if (!(Number.isInteger(size) && size >= 5)) throw new Error(`maze size must be an integer >= 5, got ${size}`);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const g = carve(size, rng);
    openExtraWalls(g, extraOpenings, rng);
    const maze = placeEnds(g, minPathLength, rng);
    if (maze) return maze;
  }
  throw new Error(`no ${size}x${size} maze with a shortest path longer than ${minPathLength} in ${maxAttempts} attempts`);
}
