/**
 * Training hyperparameters, under the official pretrain.py names where one exists
 * (global_batch_size, epochs, lr, lr_min_ratio, lr_warmup_steps, weight_decay, beta1, beta2,
 * puzzle_emb_lr, puzzle_emb_weight_decay, seed). `steps` (total optimiser steps) and `eval_every`
 * (in steps) are this project's additions: the reference counts evaluation in epochs.
 */

export interface TrainingConfig {
  global_batch_size: number;
  /** Total training steps (one step = one ACT segment for the whole batch). */
  steps?: number;
  /** Alternatively, epochs over the training split; steps = epochs * examples per epoch / batch. */
  epochs?: number;
  lr: number;
  lr_min_ratio: number;
  lr_warmup_steps: number;
  weight_decay: number;
  beta1: number;
  beta2: number;
  puzzle_emb_lr: number;
  puzzle_emb_weight_decay: number;
  seed: number;
  /** Evaluate on the test split every this many steps (and at the end); 0 evaluates only at the end. */
  eval_every: number;
  /** Rows per evaluation batch; defaults to global_batch_size. */
  eval_batch_size?: number;
}

/** The reference's Sudoku/Maze values (spec section 6), with batch, steps and warmup left to the caller. */
export const DEFAULT_TRAINING: TrainingConfig = {
  global_batch_size: 768,
  lr: 1e-4,
  lr_min_ratio: 1.0,
  lr_warmup_steps: 2000,
  weight_decay: 1.0,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 1e-4,
  puzzle_emb_weight_decay: 1.0,
  seed: 0,
  eval_every: 0,
};

export const TRAINING_KEYS = [
  'global_batch_size', 'steps', 'epochs', 'lr', 'lr_min_ratio', 'lr_warmup_steps', 'weight_decay',
  'beta1', 'beta2', 'puzzle_emb_lr', 'puzzle_emb_weight_decay', 'seed', 'eval_every', 'eval_batch_size',
] as const satisfies readonly (keyof TrainingConfig)[];

const INTEGER_KEYS = new Set<string>(['global_batch_size', 'steps', 'epochs', 'lr_warmup_steps', 'seed', 'eval_every', 'eval_batch_size']);

export function isIntegerTrainingKey(key: string): boolean {
  return INTEGER_KEYS.has(key);
}

/** Throws naming the first field that is out of range. */
export function validateTrainingConfig(c: TrainingConfig): void {
  const positiveInt = (k: keyof TrainingConfig) => {
    const v = c[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) > 0)) throw new Error(`${k} must be a positive integer, got ${v}`);
  };
  const nonNegative = (k: keyof TrainingConfig) => {
    const v = c[k] as number;
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${k} must be a non-negative number, got ${v}`);
  };
  positiveInt('global_batch_size');
  positiveInt('steps');
  positiveInt('epochs');
  positiveInt('eval_batch_size');
  for (const k of ['lr', 'lr_warmup_steps', 'weight_decay', 'puzzle_emb_lr', 'puzzle_emb_weight_decay', 'eval_every'] as const) nonNegative(k);
  if (!(c.lr_min_ratio >= 0 && c.lr_min_ratio <= 1)) throw new Error(`lr_min_ratio must lie in [0, 1], got ${c.lr_min_ratio}`);
  for (const k of ['beta1', 'beta2'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) throw new Error(`${k} must lie in [0, 1), got ${c[k]}`);
  }
  if (!Number.isInteger(c.seed)) throw new Error(`seed must be an integer, got ${c.seed}`);
  if (c.steps === undefined && c.epochs === undefined) throw new Error('set either steps or epochs');
}

/** Total optimiser steps: `steps`, or the reference's arithmetic from `epochs`. */
export function totalSteps(c: TrainingConfig, examplesPerEpoch: number): number {
  if (c.steps !== undefined) return c.steps;
  return Math.max(1, Math.floor(((c.epochs ?? 1) * examplesPerEpoch) / c.global_batch_size));
}
