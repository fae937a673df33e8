/**
 * Sudoku datasets in the official layout (build_sudoku_dataset.py): tokens 0 PAD, 1 blank,
 * 2.. digits (vocab n + 2); every cell labelled; one puzzle identifier (0) for all; each
 * original puzzle is a group of 1 + augmentations puzzles, the first un-augmented.
 */
import { DatasetBuilder, type PuzzleDataset } from '../dataset.js';
import type { OnProgress } from '../progress.js';
import { Rng } from '@hrm-webgpu/tensor';
import { isValidSolution, solvesPuzzle, type Board, type BoxSize } from './board.js';
import { augmentSudoku } from './augment.js';
import { orSkip, type OnInvalid, type SudokuEntry } from './parse.js';
import { analyseSudoku } from './solver.js';

export interface SolvedSudoku {
  puzzle: Board;
  solution: Board;
  /** Difficulty: the source's rating, or our solver's backtracks. */
  rating: number;
}

export const sudokuVocabSize = (box: BoxSize): number => box * box + 2;

/** Board (0 blank, 1..n) to tokens (1 blank, 2..n+1). */
export const sudokuTokens = (board: Board): Int32Array => board.map((v) => v + 1);

/** Tokens back to a board; PAD and blank both become 0. */
export const sudokuBoardFromTokens = (tokens: Int32Array): Board => tokens.map((t) => Math.max(0, t - 1));

/**
 * Pairs every entry with its solution: a given answer (CSV) is checked against the puzzle's
 * rules, which is cheap; otherwise the solver finds the solution and proves it unique, and its
 * backtracks become the rating. `file` names errors; with `onInvalid`, bad entries are skipped
 * and reported to it instead.
 */
export function solveEntries(entries: SudokuEntry[], file: string, onProgress?: OnProgress, onInvalid?: OnInvalid): SolvedSudoku[] {
  return entries.flatMap((e, i) => {
    const solved = orSkip(() => (e.solution && e.rating !== undefined ? checkedAnswer(e, file) : solvedBySearch(e, file)), onInvalid);
    onProgress?.(i + 1, entries.length);
    return solved ? [solved] : [];
  });
}

function checkedAnswer(e: SudokuEntry, file: string): SolvedSudoku {
  if (!isValidSolution(e.solution!, e.box) || !solvesPuzzle(e.puzzle, e.solution!)) {
    throw new Error(`${file}:${e.line}: the answer is not a valid solution of the question`);
  }
  return { puzzle: e.puzzle, solution: e.solution!, rating: e.rating! };
}

function solvedBySearch(e: SudokuEntry, file: string): SolvedSudoku {
  const result = analyseSudoku(e.puzzle, e.box);
  if (!result.solution) throw new Error(`${file}:${e.line}: the puzzle has no solution`);
  if (!result.unique) throw new Error(`${file}:${e.line}: the puzzle has more than one solution`);
  return { puzzle: e.puzzle, solution: result.solution, rating: result.backtracks };
}

export interface SudokuSplitOptions {
  box: BoxSize;
  /** Augmented copies per puzzle (0 for test splits). */
  augmentations: number;
  seed: number;
  onProgress?: OnProgress;
}

export function buildSudokuSplit(puzzles: SolvedSudoku[], opts: SudokuSplitOptions): PuzzleDataset {
  const { box, augmentations } = opts;
  const rng = Rng.fromSeed(opts.seed);
  const builder = new DatasetBuilder(box ** 4);
  puzzles.forEach((p, i) => {
    for (let a = 0; a <= augmentations; a++) {
      const pair = a === 0 ? p : augmentSudoku(p.puzzle, p.solution, box, rng);
      builder.addPuzzle(0, [{ input: sudokuTokens(pair.puzzle), label: sudokuTokens(pair.solution), rating: p.rating }]);
    }
    builder.endGroup();
    opts.onProgress?.(i + 1, puzzles.length);
  });
  return builder.finish(
    { pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: sudokuVocabSize(box), num_puzzle_identifiers: 1 },
    { identifiers: ['<blank>'], withRatings: true },
  );
}
