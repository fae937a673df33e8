/**
 * The reference's optimisers and learning-rate schedule (spec section 6), built from a training
 * configuration: AdamATan2 over the parameters, sparse SignSGD over the puzzle-embedding table,
 * both at warmup-cosine rates. Shared by the trainer and `hrm trace --train-steps`.
 */
import { AdamATan2, SignSGD, warmupCosineLr } from '@hrm-webgpu/tensor';
import type { Optimizers } from '../act/train-step.js';
import type { HRM } from '../model/hrm.js';
import type { TrainingConfig } from './training-config.js';

export type OptimizerHyperparameters = Pick<
  TrainingConfig,
  'lr' | 'puzzle_emb_lr' | 'weight_decay' | 'puzzle_emb_weight_decay' | 'beta1' | 'beta2' | 'lr_warmup_steps' | 'lr_min_ratio'
>;

export function createOptimizers(model: HRM, h: OptimizerHyperparameters): Required<Optimizers> {
  return {
    optimizer: new AdamATan2(model.trainableParameters(), { lr: h.lr, betas: [h.beta1, h.beta2], weightDecay: h.weight_decay }),
    sparse: new SignSGD({ lr: h.puzzle_emb_lr, weightDecay: h.puzzle_emb_weight_decay }),
  };
}

/** The learning rates of step `step` (counted from 1, as the reference does) of `totalSteps`. */
export function learningRates(step: number, totalSteps: number, h: OptimizerHyperparameters): { lr: number; puzzleEmbLr: number } {
  const schedule = { warmupSteps: h.lr_warmup_steps, totalSteps, minRatio: h.lr_min_ratio };
  return {
    lr: warmupCosineLr(step, { baseLr: h.lr, ...schedule }),
    puzzleEmbLr: warmupCosineLr(step, { baseLr: h.puzzle_emb_lr, ...schedule }),
  };
}
