/**
 * Generates unique-solution Sudoku puzzles: a random solved board, then givens removed in a
 * random order while the solution stays unique, down to a target number of givens; candidates
 * are redrawn until the solver's backtrack rating falls in the requested range.
 */
import type { Rng } from '@hrm-webgpu/tensor';
import { countGivens, type Board, type BoxSize } from './board.js';
import { applySudokuTransform, randomSudokuTransform } from './augment.js';
import { analyseSudoku, solveSudoku } from './solver.js';

export interface GenerateOptions {
  box: BoxSize;
  /** Stop removing givens at this many (the result may keep more when no removal keeps it unique). */
  targetGivens?: number;
  /** With it, each puzzle's target is drawn uniformly from [targetGivens, maxTargetGivens]. */
  maxTargetGivens?: number;
  /** Accept only puzzles whose rating (backtracks) lies in [minBacktracks, maxBacktracks]. */
  minBacktracks?: number;
  maxBacktracks?: number;
  /** Candidates drawn before giving up. */
  maxAttempts?: number;
}

export interface GeneratedSudoku {
  puzzle: Board;
  solution: Board;
  backtracks: number;
  givens: number;
}

/**
 * A random solved board: random digits in the diagonal boxes, completed by the solver (redrawn
 * when they admit no completion, which happens on 4x4 boards), then randomly transformed.
 */
export function randomSolvedBoard(box: BoxSize, rng: Rng): Board {
  const n = box * box;
  for (;;) {
    const seed = new Int32Array(n * n);
    for (let b = 0; b < box; b++) {
      const digits = rng.permutation(n);
      for (let k = 0; k < n; k++) seed[(b * box + Math.floor(k / box)) * n + b * box + (k % box)] = digits[k]! + 1;
    }
    const solved = solveSudoku(seed, box).solution;
    if (solved) return applySudokuTransform(solved, randomSudokuTransform(box, rng));
  }
}

function carvePuzzle(solution: Board, box: BoxSize, targetGivens: number, rng: Rng): Board {
  const puzzle = Int32Array.from(solution);
  let givens = puzzle.length;
  for (const cell of rng.permutation(puzzle.length)) {
    if (givens <= targetGivens) break;
    const kept = puzzle[cell]!;
    puzzle[cell] = 0;
    if (analyseSudoku(puzzle, box).unique) givens--;
    else puzzle[cell] = kept;
  }
  return puzzle;
}

export function generateSudoku(opts: GenerateOptions, rng: Rng): GeneratedSudoku {
  const { box, targetGivens = 0, minBacktracks = 0, maxBacktracks = Infinity, maxAttempts = 1000 } = opts;
  const maxTarget = opts.maxTargetGivens ?? targetGivens;
  if (maxTarget < targetGivens) throw new Error(`maxTargetGivens (${maxTarget}) is below targetGivens (${targetGivens})`);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const solution = randomSolvedBoard(box, rng);
    const target = maxTarget > targetGivens ? rng.int(targetGivens, maxTarget) : targetGivens;
    const puzzle = carvePuzzle(solution, box, target, rng);
    const { backtracks } = solveSudoku(puzzle, box);
    if (backtracks >= minBacktracks && backtracks <= maxBacktracks) {
      return { puzzle, solution, backtracks, givens: countGivens(puzzle) };
    }
  }
  throw new Error(`no ${box * box}x${box * box} puzzle with ${minBacktracks}..${maxBacktracks} backtracks in ${maxAttempts} attempts`);
}
