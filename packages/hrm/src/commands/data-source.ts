/**
 * The data a command reads: a dataset folder (with `train` and/or `test` split folders, or one
 * split folder itself), or a raw source the data package can build a dataset from.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PuzzleDataset } from '../data/dataset.js';
import { isDatasetSplitDir, readDataset } from '../data/node/datasetFiles.js';

export interface Splits {
  train: PuzzleDataset;
  test?: PuzzleDataset;
}

export async function loadSplits(path: string): Promise<Splits> {
  if (!existsSync(path)) throw new Error(`data ${path} not found`);
  const hasTrain = isDatasetSplitDir(join(path, 'train'));
  const hasTest = isDatasetSplitDir(join(path, 'test'));
  if (!hasTrain && !hasTest) throw new Error(`${path}: no train/ or test/ split folder (with dataset.json) found`);
  if (!hasTrain) throw new Error(`${path}: no train/ split to train on`);
  return { train: readDataset(path, 'train'), ...(hasTest ? { test: readDataset(path, 'test') } : {}) };
}

/** The split to evaluate: `test` when present, else `train`. */
export async function loadEvalSplit(path: string, split?: string): Promise<PuzzleDataset> {
  if (!existsSync(path)) throw new Error(`data ${path} not found`);
  if (split) return readDataset(path, split);
  return readDataset(path, isDatasetSplitDir(join(path, 'test')) ? 'test' : 'train');
}
