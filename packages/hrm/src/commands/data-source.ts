/**
 * The data a command reads: a dataset folder or a raw source (puzzle-line file, CSV, ARC folder)
 * that the data package builds in memory, with a progress line per build phase.
 */
import type { PuzzleDataset } from '../data/dataset.js';
import { detectSource, loadPuzzleSource, loadPuzzleSourceSplits, type SourceOptions } from '../data/node/sources.js';
import { createProgress } from '../report/progress.js';

export interface Splits {
  train: PuzzleDataset;
  test?: PuzzleDataset;
}

/** Progress for each build phase, finished when the next one starts. */
function phaseProgress(): { progress: SourceOptions['progress']; stop: () => void } {
  let current: ReturnType<typeof createProgress> | undefined;
  const stop = () => {
    current?.stop();
    current = undefined;
  };
  return {
    progress: (phase) => (done, total) => {
      if (!current) current = createProgress({ total, label: phase });
      current.update(done);
      if (done + 1 >= total) stop();
    },
    stop,
  };
}

async function withProgress<T>(load: (progress: SourceOptions['progress']) => Promise<T>): Promise<T> {
  const { progress, stop } = phaseProgress();
  try {
    return await load(progress);
  } finally {
    stop();
  }
}

export async function loadTrainingData(path: string, opts: SourceOptions = {}): Promise<Splits> {
  const splits = await withProgress((progress) => loadPuzzleSourceSplits(path, { ...opts, ...(progress ? { progress } : {}) }));
  if (!splits.train) throw new Error(`${path}: no training split to train on`);
  return { train: splits.train, ...(splits.test ? { test: splits.test } : {}) };
}

/**
 * The data to evaluate: the given split; else a dataset folder's test split (train when it has
 * none), or every puzzle of a raw source.
 */
export async function loadEvalData(path: string, split?: 'train' | 'test', opts: SourceOptions = {}): Promise<PuzzleDataset> {
  return withProgress(async (progress) => {
    const o = { ...opts, ...(progress ? { progress } : {}) };
    if (split) return loadPuzzleSource(path, { ...o, split });
    if (detectSource(path) !== 'dataset') return loadPuzzleSource(path, { ...o, split: 'train', testFraction: 0 });
    const splits = await loadPuzzleSourceSplits(path, o);
    const d = splits.test ?? splits.train;
    if (!d) throw new Error(`${path}: no data to evaluate`);
    return d;
  });
}
