/**
 * Batching as the reference loader does it (spec section 7). Training: the groups of every
 * epoch in a fresh random order, one random puzzle per group with all its examples (a random
 * subset of them when the batch has less room), until the batch is full; batches run across
 * epoch boundaries and the final partial batch is dropped (the reference's `epochs_per_iter`
 * set to all epochs). Test: every example in order, the last batch padded.
 */
import { examplePuzzles, IGNORE_LABEL_ID, numExamples, numGroups, type PuzzleDataset } from './dataset.js';
import { Rng } from '@hrm-webgpu/tensor';
import type { PuzzleBatch } from './types.js';

/** Where a training stream stands: plain JSON, enough to resume it exactly. */
export interface TrainBatchState {
  seed: number;
  epoch: number;
  /** Position in this epoch's group order. */
  cursor: number;
  /** The puzzle/example picking generator. */
  rng: number[];
}

export interface TrainBatchOptions {
  globalBatchSize: number;
  seed: number;
  /** Stop after this many epochs; unbounded when omitted. */
  epochs?: number;
  /** Resume from a state a previous stream reported. */
  resume?: TrainBatchState;
}

export interface TrainBatch {
  batch: PuzzleBatch;
  /** Epoch of the batch's first group (0-based). */
  epoch: number;
  /** The state after this batch: resuming from it yields the next batch. */
  state: TrainBatchState;
}

function emptyBatch(d: PuzzleDataset, size: number): PuzzleBatch {
  const { seq_len: seqLen, pad_id: pad, blank_identifier_id: blank } = d.metadata;
  return {
    size,
    seqLen,
    inputs: new Int32Array(size * seqLen).fill(pad),
    labels: new Int32Array(size * seqLen).fill(IGNORE_LABEL_ID),
    puzzleIdentifiers: new Int32Array(size).fill(blank),
  };
}

function copyExample(d: PuzzleDataset, example: number, batch: PuzzleBatch, row: number, puzzle: number): void {
  const s = d.metadata.seq_len;
  batch.inputs.set(d.inputs.subarray(example * s, (example + 1) * s), row * s);
  batch.labels.set(d.labels.subarray(example * s, (example + 1) * s), row * s);
  batch.puzzleIdentifiers[row] = d.puzzleIdentifiers[puzzle]!;
}

/** A saved stream position must belong to this dataset and seed: resuming on other data is an error, not a crash. */
function checkResumeState(r: TrainBatchState, d: PuzzleDataset, seed: number): void {
  if (r.seed !== seed) throw new Error(`the saved data stream has seed ${r.seed}, the run ${seed}`);
  if (!(Number.isInteger(r.epoch) && r.epoch >= 0)) throw new Error(`the saved data stream's epoch must be a non-negative integer, found ${r.epoch}`);
  if (!(Number.isInteger(r.cursor) && r.cursor >= 0 && r.cursor <= numGroups(d))) {
    throw new Error(
      `the saved data stream stands at group ${r.cursor} of an epoch, but the dataset has ${numGroups(d)} groups: resume on the data the run started with`,
    );
  }
}

const groupOrder = (d: PuzzleDataset, seed: number, epoch: number) => Rng.fromSeed(seed, epoch).permutation(numGroups(d));

export function* trainBatches(d: PuzzleDataset, opts: TrainBatchOptions): Generator<TrainBatch> {
  const { globalBatchSize: size, seed } = opts;
  if (!(Number.isInteger(size) && size > 0)) throw new Error(`globalBatchSize must be a positive integer, got ${size}`);
  if (numGroups(d) === 0 || numExamples(d) === 0) throw new Error('the dataset has no examples to draw training batches from');
  const empty = d.groupIndices.findIndex((start, g) => g + 1 < d.groupIndices.length && d.groupIndices[g + 1]! <= start);
  if (empty >= 0) throw new Error(`group ${empty} of the dataset holds no puzzle; training draws one puzzle from every group`);
  if (opts.resume) checkResumeState(opts.resume, d, seed);
  let epoch = opts.resume?.epoch ?? 0;
  let cursor = opts.resume?.cursor ?? 0;
  const rng = opts.resume ? Rng.fromState(opts.resume.rng) : Rng.fromSeed(seed);
  let order = groupOrder(d, seed, epoch);
  const { puzzleIndices, groupIndices } = d;

  const nextGroup = (): number | null => {
    if (cursor === order.length) {
      epoch++;
      cursor = 0;
      if (opts.epochs !== undefined && epoch >= opts.epochs) return null;
      order = groupOrder(d, seed, epoch);
    }
    return order[cursor++]!;
  };

  while (opts.epochs === undefined || epoch < opts.epochs) {
    const batch = emptyBatch(d, size);
    const batchEpoch = epoch;
    let filled = 0;
    while (filled < size) {
      const group = nextGroup();
      if (group === null) return; // the final partial batch is dropped
      const puzzle = rng.int(groupIndices[group]!, groupIndices[group + 1]! - 1);
      const first = puzzleIndices[puzzle]!;
      const count = puzzleIndices[puzzle + 1]! - first;
      const take = Math.min(count, size - filled);
      const picked = rng.permutation(count).subarray(0, take);
      for (const e of picked) copyExample(d, first + e, batch, filled++, puzzle);
    }
    yield { batch, epoch: batchEpoch, state: { seed, epoch, cursor, rng: rng.state() } };
  }
}

export interface TestBatch {
  batch: PuzzleBatch;
  /** Index of the batch's first example. */
  start: number;
  /** Rows of the batch. */
  count: number;
}

/**
 * The first `limit` examples (default: all) in order, `batchSize` rows a batch; the last batch
 * holds only the rows left, unpadded (evaluating padding rows would cost as much as real ones).
 */
export function* testBatches(d: PuzzleDataset, batchSize: number, limit = Infinity): Generator<TestBatch> {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const puzzleOf = examplePuzzles(d);
  const total = Math.min(numExamples(d), limit);
  for (let start = 0; start < total; start += batchSize) {
    const count = Math.min(batchSize, total - start);
    const batch = emptyBatch(d, count);
    for (let r = 0; r < count; r++) copyExample(d, start + r, batch, r, puzzleOf[start + r]!);
    yield { batch, start, count };
  }
}

/** Expected number of examples one training epoch draws (the reference's step arithmetic). */
export function examplesPerEpoch(d: PuzzleDataset): number {
  return d.metadata.total_groups * d.metadata.mean_puzzle_examples;
}
