/**
 * Loading data from a path that is either a dataset folder (official layout) or a raw source:
 * a Sudoku puzzle-line file, a `source,question,answer,rating` CSV (Sudoku or Maze), or an
 * ARC folder (with `training/` and/or `evaluation/` task files). Raw sources are built in
 * memory with the same builders as `hrm data build`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readTextFile } from './files.js';
import { basename, extname, join } from 'node:path';
import { buildArcDataset, type ArcSourceSplit, type NamedArcTask } from '../arc/build.js';
import { parseArcTask } from '../arc/task.js';
import type { PuzzleDataset } from '../dataset.js';
import { buildMazeSplit, parseMazeCsv, type MazePair } from '../maze/build.js';
import type { OnProgress } from '../progress.js';
import { holdOut, reservoirSample, subsample } from '../split.js';
import type { BoxSize } from '../sudoku/board.js';
import { buildSudokuSplit, solveEntries, type SolvedSudoku } from '../sudoku/build.js';
import { parseSudokuCsv, parseSudokuLines, sameBoardSize, type OnInvalid, type SudokuEntry } from '../sudoku/parse.js';
import { readLines } from './readLines.js';
import { isDatasetSplitDir, readDataset } from './datasetFiles.js';

export type SourceKind = 'dataset' | 'sudoku-lines' | 'sudoku-csv' | 'maze-csv' | 'arc';

/** Progress of one named phase of a build (solving, augmenting, ...); may return undefined. */
export type PhaseProgress = (phase: string) => OnProgress | undefined;

export interface Splits {
  train?: PuzzleDataset;
  test?: PuzzleDataset;
}

const ARC_SPLITS: ArcSourceSplit[] = ['training', 'evaluation'];

export function detectSource(path: string): SourceKind {
  if (!existsSync(path)) throw new Error(`${path}: not found`);
  if (statSync(path).isDirectory()) {
    if (isDatasetSplitDir(path) || isDatasetSplitDir(join(path, 'train')) || isDatasetSplitDir(join(path, 'test'))) return 'dataset';
    if (ARC_SPLITS.some((s) => existsSync(join(path, s)))) return 'arc';
    throw new Error(`${path}: neither a dataset folder (dataset.json) nor an ARC folder (training/, evaluation/)`);
  }
  if (extname(path).toLowerCase() !== '.csv') return 'sudoku-lines';
  const lines = readLines(path);
  lines.next();
  const firstRow = lines.next().value ?? '';
  lines.return(undefined);
  const question = firstRow.split(',')[1] ?? '';
  return /^[0-9.]+$/.test(question) ? 'sudoku-csv' : 'maze-csv';
}

/** Every task of an ARC folder, `training/` then `evaluation/`, files in name order. */
export function readArcFolder(dir: string): NamedArcTask[] {
  const tasks = ARC_SPLITS.filter((s) => existsSync(join(dir, s))).flatMap((split) =>
    readdirSync(join(dir, split))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => {
        const file = join(dir, split, f);
        return { name: basename(f, '.json'), split, task: parseArcTask(readTextFile(file), file) };
      }),
  );
  if (tasks.length === 0) throw new Error(`${dir}: no task files in training/ or evaluation/`);
  return tasks;
}

const isCsv = (file: string) => extname(file).toLowerCase() === '.csv';

/** The entries of a Sudoku line file or CSV, parsed as they are read. */
export function sudokuEntries(file: string, onInvalid?: OnInvalid): Iterable<SudokuEntry> {
  const lines = readLines(file);
  return sameBoardSize(isCsv(file) ? parseSudokuCsv(lines, file, onInvalid) : parseSudokuLines(lines, file, onInvalid), file);
}

export const readMazeSource = (file: string): MazePair[] => parseMazeCsv(readLines(file), file);

export interface SourceOptions {
  /** Augmented copies per puzzle in the train split (default 0). */
  augmentations?: number;
  seed?: number;
  /** Share of a single-file source held out as the test split (default 0.1). */
  testFraction?: number;
  /** A separate file for the test split (instead of holding out part of the source). */
  testSource?: string;
  /** Keep only this many training puzzles (the "1k" settings). */
  subsample?: number;
  /** Sudoku: keep puzzles rated at least this (backtracks). */
  minRating?: number;
  /** ARC: keep this many tasks (chosen at random) of each of training/ and evaluation/. */
  tasksPerFolder?: number;
  /** Maze: add the 8 dihedral images to the train split. */
  augmentMazes?: boolean;
  /** Sudoku: skip malformed lines and puzzles without a unique solution, reporting each here (default: the first is an error). */
  onInvalid?: OnInvalid;
  progress?: PhaseProgress;
}

function trainTest<T>(items: T[], testItems: T[] | undefined, opts: SourceOptions): { train: T[]; test: T[] } {
  const seed = opts.seed ?? 0;
  const parts = testItems ? { train: items, test: testItems } : holdOut(items, opts.testFraction ?? 0.1, seed);
  return { train: opts.subsample !== undefined ? subsample(parts.train, opts.subsample, seed) : parts.train, test: parts.test };
}

function* ratedAtLeast(entries: Iterable<SudokuEntry>, minRating: number): Generator<SudokuEntry> {
  for (const e of entries) if (e.rating === undefined || e.rating >= minRating) yield e;
}

export function buildSudokuSource(file: string, opts: SourceOptions = {}): Splits {
  const minRating = opts.minRating ?? 0;
  const read = (f: string, sample?: number) => {
    let skipped = 0;
    let firstSkipped = '';
    const onInvalid =
      opts.onInvalid &&
      ((message: string) => {
        if (skipped++ === 0) firstSkipped = message;
        opts.onInvalid!(message);
      });
    const rated = ratedAtLeast(sudokuEntries(f, onInvalid), minRating);
    const entries = sample === undefined ? [...rated] : reservoirSample(rated, sample, opts.seed ?? 0);
    const puzzles = solveEntries(entries, f, opts.progress?.(`solve ${basename(f)}`), onInvalid);
    if (puzzles.length === 0)
      throw new Error(skipped > 0 ? `${f}: no valid puzzles: all ${skipped} were skipped (the first: ${firstSkipped})` : `${f}: no puzzles found`);
    return { box: entries[0]!.box, puzzles: puzzles.filter((p) => p.rating >= minRating) };
  };
  // With a separate test file, the training sample is drawn while reading: multi-million-row
  // sources never sit in memory whole.
  const main = read(file, opts.testSource !== undefined ? opts.subsample : undefined);
  const separate = opts.testSource !== undefined ? read(opts.testSource) : undefined;
  if (separate && separate.box !== main.box) throw new Error(`${opts.testSource}: board size differs from ${file}`);
  const { train, test } = trainTest(main.puzzles, separate?.puzzles, opts);
  return sudokuSplits(train, test, main.box, opts);
}

export function sudokuSplits(train: SolvedSudoku[], test: SolvedSudoku[], box: BoxSize, opts: SourceOptions): Splits {
  const seed = opts.seed ?? 0;
  const split = (puzzles: SolvedSudoku[], augmentations: number, name: string) =>
    puzzles.length > 0 ? buildSudokuSplit(puzzles, { box, augmentations, seed, onProgress: opts.progress?.(`build ${name}`) }) : undefined;
  return nonEmpty({ train: split(train, opts.augmentations ?? 0, 'train'), test: split(test, 0, 'test') });
}

export function buildMazeSource(file: string, opts: SourceOptions = {}): Splits {
  const { train, test } = trainTest(readMazeSource(file), opts.testSource ? readMazeSource(opts.testSource) : undefined, opts);
  return mazeSplits(train, test, opts);
}

export function mazeSplits(train: MazePair[], test: MazePair[], opts: SourceOptions): Splits {
  const split = (mazes: MazePair[], augment: boolean, name: string) =>
    mazes.length > 0 ? buildMazeSplit(mazes, { augment, onProgress: opts.progress?.(`build ${name}`) }) : undefined;
  return nonEmpty({ train: split(train, opts.augmentMazes ?? false, 'train'), test: split(test, false, 'test') });
}

export function buildArcSource(dir: string, opts: SourceOptions = {}): Splits {
  const all = readArcFolder(dir);
  const perFolder = (split: ArcSourceSplit) => all.filter((t) => t.split === split);
  const tasks = opts.tasksPerFolder === undefined ? all : ARC_SPLITS.flatMap((s) => subsample(perFolder(s), opts.tasksPerFolder!, opts.seed ?? 0));
  const { train, test } = buildArcDataset(tasks, { augmentations: opts.augmentations ?? 0, seed: opts.seed ?? 0, onProgress: opts.progress?.('augment') });
  return nonEmpty({ train, test });
}

function nonEmpty(s: Splits): Splits {
  const out: Splits = {};
  if (s.train && s.train.groupIndices.length > 1) out.train = s.train;
  if (s.test && s.test.groupIndices.length > 1) out.test = s.test;
  return out;
}

/** Both splits of a dataset folder or raw source (a split is absent when the source has none). */
export async function loadPuzzleSourceSplits(path: string, opts: SourceOptions = {}): Promise<Splits> {
  switch (detectSource(path)) {
    case 'dataset': {
      if (isDatasetSplitDir(path)) return { train: readDataset(path, 'train') };
      const splits: Splits = {};
      for (const s of ['train', 'test'] as const) if (isDatasetSplitDir(join(path, s))) splits[s] = readDataset(path, s);
      return splits;
    }
    case 'sudoku-lines':
    case 'sudoku-csv':
      return buildSudokuSource(path, opts);
    case 'maze-csv':
      return buildMazeSource(path, opts);
    case 'arc':
      return buildArcSource(path, opts);
  }
}

/** One split of a dataset folder or raw source; a split folder given directly is returned as is. */
export async function loadPuzzleSource(path: string, opts: SourceOptions & { split: 'train' | 'test' }): Promise<PuzzleDataset> {
  if (isDatasetSplitDir(path)) return readDataset(path, opts.split);
  const d = (await loadPuzzleSourceSplits(path, opts))[opts.split];
  if (!d) throw new Error(`${path}: has no ${opts.split} split`);
  return d;
}
