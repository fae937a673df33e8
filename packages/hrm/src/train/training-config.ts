/**
 * Training hyperparameters, under the official pretrain.py names where one exists
 * (global_batch_size, epochs, lr, lr_min_ratio, lr_warmup_steps, weight_decay, beta1, beta2,
 * puzzle_emb_lr, puzzle_emb_weight_decay, seed). `steps` (total optimiser steps), `eval_every`
 * (in steps) and the fields after it are this project's additions: the reference counts
 * evaluation in epochs.
 */
import { int, num, parseSettings, SettingsError, type Infer, type InferInput } from '../schema.js';

const MAX_STEPS = 1e9;

export const TRAINING_SCHEMA = {
  global_batch_size: int('rows per training step', { min: 1, max: 65536 }),
  steps: int('total training steps (one step = one ACT segment for the whole batch)', { min: 1, max: MAX_STEPS, optional: true }),
  epochs: int('or: epochs over the training split; steps = epochs x examples per epoch / batch', { min: 1, max: MAX_STEPS, optional: true }),
  lr: num('peak learning rate of AdamATan2', { min: 0, max: Number.MAX_VALUE }),
  lr_min_ratio: num('final learning rate of the cosine schedule, as a fraction of the peak', { min: 0, max: 1 }),
  lr_warmup_steps: int('linear warm-up steps', { min: 0, max: MAX_STEPS }),
  weight_decay: num('decoupled weight decay of AdamATan2', { min: 0, max: Number.MAX_VALUE }),
  beta1: num('AdamATan2 first-moment decay', { min: 0, max: 1, maxExclusive: true }),
  beta2: num('AdamATan2 second-moment decay', { min: 0, max: 1, maxExclusive: true }),
  puzzle_emb_lr: num('learning rate of the puzzle embedding (sparse SignSGD)', { min: 0, max: Number.MAX_VALUE }),
  puzzle_emb_weight_decay: num('weight decay of the puzzle embedding', { min: 0, max: Number.MAX_VALUE }),
  seed: int('seed of the run (initialisation, data order, exploration)', { min: -(2 ** 52), max: 2 ** 52 }),
  eval_every: int('evaluate on the test split and checkpoint every this many steps (0: only at the end)', { min: 0, max: MAX_STEPS, default: 0 }),
  eval_batch_size: int('rows per evaluation batch (default: global_batch_size)', { min: 1, max: 65536, optional: true }),
  eval_limit: int('evaluate on at most this many test examples during training', { min: 1, max: 2 ** 31 - 1, optional: true }),
  log_every: int('read the metrics back and append them to the log every this many steps (and before every checkpoint)', {
    min: 1,
    max: 100000,
    default: 10,
  }),
  skip_nonfinite: int('skip up to this many steps whose loss or gradient norm is not finite (0: stop at the first)', {
    min: 0,
    max: MAX_STEPS,
    default: 0,
  }),
} as const;

/** A validated training configuration: every field with a default is present. */
export type TrainingConfig = Infer<typeof TRAINING_SCHEMA>;
/** What callers pass: fields with a default may be left out. */
export type TrainingSettings = InferInput<typeof TRAINING_SCHEMA>;

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
  log_every: 10,
  skip_nonfinite: 0,
};

export const TRAINING_KEYS = Object.keys(TRAINING_SCHEMA) as (keyof TrainingConfig)[];

/** Checks every field's bounds and that the run's length is given; returns the complete configuration. */
export function validateTrainingConfig(c: unknown, source = 'training configuration'): TrainingConfig {
  const config = parseSettings(TRAINING_SCHEMA, c, source);
  if (config.steps === undefined && config.epochs === undefined) throw new SettingsError(`${source}: set either "steps" or "epochs".`);
  return config;
}

/** Total optimiser steps: `steps`, or the reference's arithmetic from `epochs`. */
export function totalSteps(c: TrainingConfig, examplesPerEpoch: number): number {
  if (c.steps !== undefined) return c.steps;
  return Math.max(1, Math.floor(((c.epochs ?? 1) * examplesPerEpoch) / c.global_batch_size));
}
