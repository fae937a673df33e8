/**
 * Exact Sudoku solver: depth-first search over bitmask candidates, always branching on the
 * blank cell with the fewest candidates (MRV). It counts backtracks (dead ends: a blank left
 * with no candidate), the difficulty rating we use in place of tdoku's, and can keep searching
 * after the first solution to prove uniqueness.
 */
import { boxOf, type Board, type BoxSize } from './board.js';

export interface SolveResult {
  /** The first solution found, or null when there is none. */
  solution: Board | null;
  /** Solutions found, at most `maxSolutions`. */
  solutionCount: number;
  /** Dead ends met before the first solution (all of them when there is none). */
  backtracks: number;
}

const POPCOUNT = Uint8Array.from({ length: 1 << 9 }, (_, x) => {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
});

export function solveSudoku(puzzle: Board, box: BoxSize, maxSolutions = 1): SolveResult {
  const n = box * box;
  const full = (1 << n) - 1;
  const cells = puzzle.length;
  if (cells !== n * n) throw new Error(`a ${n}x${n} board has ${n * n} cells, got ${cells}`);
  const grid = Int32Array.from(puzzle);
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  const boxes = new Int32Array(n);
  const cellRow = new Int32Array(cells);
  const cellCol = new Int32Array(cells);
  const cellBox = new Int32Array(cells);
  const blanks: number[] = [];
  for (let i = 0; i < cells; i++) {
    const r = Math.floor(i / n);
    const c = i % n;
    cellRow[i] = r;
    cellCol[i] = c;
    cellBox[i] = boxOf(box, r, c);
    const v = grid[i]!;
    if (v === 0) {
      blanks.push(i);
      continue;
    }
    if (v < 0 || v > n) throw new Error(`cell ${i} holds ${v}, outside 0..${n}`);
    const bit = 1 << (v - 1);
    if ((rows[r]! | cols[c]! | boxes[cellBox[i]!]!) & bit) {
      return { solution: null, solutionCount: 0, backtracks: 0 }; // contradictory givens
    }
    rows[r]! |= bit;
    cols[c]! |= bit;
    boxes[cellBox[i]!]! |= bit;
  }

  let solution: Board | null = null;
  let solutionCount = 0;
  let backtracks = 0;
  let backtracksAtFirst = 0;
  const open = Int32Array.from(blanks);

  // open[0..depth) are filled; the rest are blanks. Returns true to stop the search.
  const search = (depth: number): boolean => {
    if (depth === open.length) {
      solutionCount++;
      if (!solution) {
        solution = Int32Array.from(grid);
        backtracksAtFirst = backtracks;
      }
      return solutionCount >= maxSolutions;
    }
    let best = -1;
    let bestMask = 0;
    let bestCount = n + 1;
    for (let k = depth; k < open.length; k++) {
      const i = open[k]!;
      const mask = full & ~(rows[cellRow[i]!]! | cols[cellCol[i]!]! | boxes[cellBox[i]!]!);
      const count = POPCOUNT[mask]!;
      if (count < bestCount) {
        best = k;
        bestMask = mask;
        bestCount = count;
        if (count <= 1) break;
      }
    }
    if (bestCount === 0) {
      backtracks++;
      return false;
    }
    const cell = open[best]!;
    open[best] = open[depth]!;
    open[depth] = cell;
    const r = cellRow[cell]!;
    const c = cellCol[cell]!;
    const b = cellBox[cell]!;
    for (let mask = bestMask; mask; mask &= mask - 1) {
      const bit = mask & -mask;
      grid[cell] = 31 - Math.clz32(bit) + 1;
      rows[r]! |= bit;
      cols[c]! |= bit;
      boxes[b]! |= bit;
      const stop = search(depth + 1);
      rows[r]! &= ~bit;
      cols[c]! &= ~bit;
      boxes[b]! &= ~bit;
      if (stop) return true;
    }
    grid[cell] = 0;
    open[depth] = open[best]!;
    open[best] = cell;
    return false;
  };
  search(0);
  return { solution, solutionCount, backtracks: solution ? backtracksAtFirst : backtracks };
}

/** Solves and checks uniqueness (searches for a second solution). */
export function analyseSudoku(puzzle: Board, box: BoxSize): SolveResult & { unique: boolean } {
  const result = solveSudoku(puzzle, box, 2);
  return { ...result, unique: result.solutionCount === 1 };
}
