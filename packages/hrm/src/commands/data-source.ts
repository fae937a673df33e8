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

/** One progress display per build phase; a phase's display stops when it reaches its total. */
function phaseProgress(): { progress: SourceOptions['progress']; stop: () => void } {
  const open = new Set<ReturnType<typeof createProgress>>();
  return {
    progress: (phase) => {
      let bar: ReturnType<typeof createProgress> | undefined;
      let finished = false;
      return (done, total) => {
        if (finished) return;
        bar ??= createProgress({ total, label: phase });
        open.add(bar);
        bar.update(done);
        if (done >= total) {
          bar.stop();
          open.delete(bar);
          finished = true;
        }
      };
    },
    stop: () => {
      for (const bar of open) bar.stop();
      open.clear();
    },
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
