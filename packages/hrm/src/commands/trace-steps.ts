/**
 * The computation behind `hrm trace --train-steps K`: K full training steps on given batches
 * (ACT segment, loss, backward, sparse SignSGD on the puzzle rows, AdamATan2, at the
 * warmup-cosine learning rates of the training configuration), recording after each step the
 * learning rates, the loss, the carry and every weight, for checking the optimisers and the
 * schedule against another implementation step by step.
 */
import type { Rng } from '@hrm-webgpu/tensor';
import { type ACTCarry, readCarryState } from '../act/carry.js';
import { trainStep } from '../act/train-step.js';
import type { PuzzleBatch } from '../data/types.js';
import type { ActMetrics } from '../losses.js';
import type { HRM } from '../model/hrm.js';
import { type CarryState, type HostArray, toHostArray } from '../trace.js';
import { createOptimizers, learningRates, type OptimizerHyperparameters } from '../train/optimizers.js';

export interface TrainingStepTrace {
  /** The learning rates the step used (step counted from 1). */
  lr: number;
  puzzleEmbLr: number;
  /** Summed total loss lm + 0.5 (q_halt + q_continue) of the step's segment. */
  loss: number;
  metrics: ActMetrics;
  /** The carry after the step. */
  carry: CarryState;
  /** Every parameter and buffer (the puzzle table included) after the step, by official key. */
  weights: Map<string, HostArray>;
}

export type StepHyperparameters = OptimizerHyperparameters & { steps: number };

/**
 * One training step per batch from `carry` (consumed; the carry after the last step is returned
 * for the caller to dispose), with fresh optimisers built as the trainer builds them and
 * learning rates from the schedule over `hyper.steps` total steps. The model's weights change.
 */
export async function traceTrainingSteps(
  model: HRM,
  carry: ACTCarry,
  batches: readonly PuzzleBatch[],
  hyper: StepHyperparameters,
  rng: Rng,
): Promise<{ steps: TrainingStepTrace[]; carry: ACTCarry }> {
  const optimizers = createOptimizers(model, hyper);
  const steps: TrainingStepTrace[] = [];
  try {
    for (const [i, batch] of batches.entries()) {
      const { lr, puzzleEmbLr } = learningRates(i + 1, hyper.steps, hyper);
      const result = await trainStep(model, optimizers, carry, batch, { lr, puzzleEmbLr, rng });
      carry = result.carry;
      const m = result.metrics;
      const weights = new Map<string, HostArray>();
      for (const [key, t] of model.stateDict('')) weights.set(key, await toHostArray(t));
      steps.push({ lr, puzzleEmbLr, loss: m.lm_loss + 0.5 * (m.q_halt_loss + (m.q_continue_loss ?? 0)), metrics: m, carry: await readCarryState(carry), weights });
    }
  } finally {
    optimizers.optimizer.dispose();
  }
  return { steps, carry };
}
