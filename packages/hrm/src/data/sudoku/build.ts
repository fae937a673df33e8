/**
 * Sudoku datasets in the official layout (build_sudoku_dataset.py): tokens 0 PAD, 1 blank,
 * 2.. digits (vocab n + 2); every cell labelled; one puzzle identifier (0) for all; each
 * original puzzle is a group of 1 + augmentations puzzles, the first un-augmented.
 */
import { DatasetBuilder, type PuzzleDataset } from '../dataset.js';
import type { OnProgress } from '../progress.js';
import { Rng } from '../rng.js';
import type { Board, BoxSize } from './board.js';
import { augmentSudoku } from './augment.js';
import type { SudokuEntry } from './parse.js';
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

/** Completes entries without a solution with the solver; `file` names errors. */
export function solveEntries(entries: SudokuEntry[], box: BoxSize, file: string, onProgress?: OnProgress): SolvedSudoku[] {
  return entries.map((e, i) => {
    const result = analyseSudoku(e.puzzle, box);
    if (!result.solution) throw new Error(`${file}:${e.line}: the puzzle has no solution`);
    if (!result.unique) throw new Error(`${file}:${e.line}: the puzzle has more than one solution`);
    if (e.solution && !e.solution.every((v, k) => v === result.solution![k])) {
      throw new Error(`${file}:${e.line}: the given answer is not the puzzle's solution`);
    }
    onProgress?.(i + 1, entries.length);
    return { puzzle: e.puzzle, solution: result.solution, rating: e.rating ?? result.backtracks };
  });
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
