/**
 * The official Sudoku augmentation (build_sudoku_dataset.py's shuffle_sudoku), for any box
 * size: a digit permutation, a transpose with probability 0.5, a permutation of the bands and
 * of the rows inside each band, and the same for stacks and columns. One drawn transform is
 * applied to the puzzle and its solution together, so the pair stays consistent.
 */
import type { Rng } from '@hrm-webgpu/tensor';
import type { Board, BoxSize } from './board.js';

export interface SudokuTransform {
  /** digitMap[v] is the new digit for v; digitMap[0] = 0 keeps blanks. */
  digitMap: Int32Array;
  transpose: boolean;
  /** New row i takes old row rowPerm[i]; likewise columns. */
  rowPerm: Int32Array;
  colPerm: Int32Array;
}

function linePermutation(box: number, rng: Rng): Int32Array {
  const perm = new Int32Array(box * box);
  let k = 0;
  for (const band of rng.permutation(box)) for (const r of rng.permutation(box)) perm[k++] = band * box + r;
  return perm;
}

export function randomSudokuTransform(box: BoxSize, rng: Rng): SudokuTransform {
  const n = box * box;
  const digitMap = new Int32Array(n + 1);
  rng.permutation(n).forEach((d, i) => (digitMap[i + 1] = d + 1));
  const transpose = rng.uniform() < 0.5;
  const rowPerm = linePermutation(box, rng);
  const colPerm = linePermutation(box, rng);
  return { digitMap, transpose, rowPerm, colPerm };
}

export function applySudokuTransform(board: Board, t: SudokuTransform): Board {
  const n = t.rowPerm.length;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const r = t.rowPerm[i]!;
      const c = t.colPerm[j]!;
      const source = t.transpose ? c * n + r : r * n + c;
      out[i * n + j] = t.digitMap[board[source]!]!;
    }
  }
  return out;
}

/** Draws one transform and applies it to the puzzle and its solution. */
export function augmentSudoku(puzzle: Board, solution: Board, box: BoxSize, rng: Rng): { puzzle: Board; solution: Board } {
  const t = randomSudokuTransform(box, rng);
  return { puzzle: applySudokuTransform(puzzle, t), solution: applySudokuTransform(solution, t) };
}
