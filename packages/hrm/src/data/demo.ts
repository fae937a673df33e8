/** The demo's data: generated 4x4 Sudoku, with held-out test puzzles that never occur in training. */
import type { PuzzleDataset } from './dataset.js';
import { Rng } from '@hrm-webgpu/tensor';
import { boardToLine } from './sudoku/board.js';
import { buildSudokuSplit, type SolvedSudoku } from './sudoku/build.js';
import { generateSudoku } from './sudoku/generator.js';

export interface DemoData {
  train: PuzzleDataset;
  test: PuzzleDataset;
}

export interface DemoDataOptions {
  trainPuzzles: number;
  testPuzzles: number;
  augmentations: number;
  seed: number;
  /** Stop removing givens at this many (default 0: minimal puzzles, as few givens as uniqueness allows). */
  givens?: number;
}

/** Unique-solution puzzles; the test puzzles never occur among the un-augmented training puzzles. */
export function generateDemoData(opts: DemoDataOptions): DemoData {
  const rng = Rng.fromSeed(opts.seed);
  const seen = new Set<string>();
  const draw = (count: number): SolvedSudoku[] => {
    const out: SolvedSudoku[] = [];
    while (out.length < count) {
      const g = generateSudoku({ box: 2, targetGivens: opts.givens ?? 0 }, rng);
      const key = boardToLine(g.puzzle);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ puzzle: g.puzzle, solution: g.solution, rating: g.backtracks });
    }
    return out;
  };
  const test = draw(opts.testPuzzles);
  const train = draw(opts.trainPuzzles);
  return {
    train: buildSudokuSplit(train, { box: 2, augmentations: opts.augmentations, seed: opts.seed + 1 }),
    test: buildSudokuSplit(test, { box: 2, augmentations: 0, seed: opts.seed + 2 }),
  };
}
