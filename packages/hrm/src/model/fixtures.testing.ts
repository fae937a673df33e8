/** Tiny configurations, random batches and host copies of weights shared by the HRM tests. */
import { Rng, type Tensor, noGrad, tensor } from '@hrm-webgpu/tensor';
import { type HRMConfig, validateConfig } from '../config.js';
import type { PuzzleBatch } from '../data/types.js';
import type { HRM } from './hrm.js';

export function tinyConfig(overrides: Partial<HRMConfig> = {}): HRMConfig {
  return validateConfig(
    {
      batch_size: 3,
      seq_len: 6,
      vocab_size: 5,
      num_puzzle_identifiers: 3,
      puzzle_emb_ndim: 16,
      H_cycles: 2,
      L_cycles: 2,
      H_layers: 1,
      L_layers: 1,
      hidden_size: 16,
      num_heads: 2,
      expansion: 1,
      pos_encodings: 'rope',
      halt_max_steps: 2,
      halt_exploration_prob: 0.1,
      ...overrides,
    },
    'test config',
  );
}

/** Random tokens in [1, vocab), labels random with some -100, ids in range. */
export function randomBatch(config: HRMConfig, size: number, seed: number): PuzzleBatch {
  const rng = new Rng(seed);
  const n = size * config.seq_len;
  return {
    size,
    seqLen: config.seq_len,
    inputs: Int32Array.from({ length: n }, () => rng.int(1, config.vocab_size - 1)),
    labels: Int32Array.from({ length: n }, () => (rng.uniform() < 0.2 ? -100 : rng.int(1, config.vocab_size - 1))),
    puzzleIdentifiers: Int32Array.from({ length: size }, () => rng.int(0, config.num_puzzle_identifiers - 1)),
  };
}

/** Overwrites a tensor with standard-normal values times std (for weights that start constant). */
export function randomize(t: Tensor, seed: number, std = 1): void {
  const rng = new Rng(seed);
  noGrad(() => {
    const values = new Float64Array(t.size).map(() => rng.normal() * std);
    const src = tensor(values, { shape: t.shape, dtype: t.dtype });
    t.assign(src);
    src.dispose();
  });
}

/** Gives the q head and the puzzle table non-trivial values so tests see them. */
export function randomizeZeroInits(model: HRM, seed: number): void {
  randomize(model.param('q_head.weight'), seed, 0.3);
  randomize(model.param('q_head.bias'), seed + 1, 0.3);
  if (model.puzzleEmbTable) randomize(model.puzzleEmbTable, seed + 2, 1);
}

export async function hostCopy(entries: Iterable<[string, Tensor]>): Promise<Map<string, Float64Array>> {
  const out = new Map<string, Float64Array>();
  for (const [k, t] of entries) out.set(k, Float64Array.from(await t.data()));
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
