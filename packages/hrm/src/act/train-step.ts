/**
 * One training step = one segment for every batch slot (deep supervision): ACT step, loss,
 * backward of total / global_batch, sparse SignSGD on the touched puzzle-embedding rows, then
 * AdamATan2 on the parameters (the reference's optimiser order), gradients zeroed.
 */
import { type AdamATan2, type Rng, type SignSGD, backward, div, tidy } from '@hrm-webgpu/tensor';
import type { PuzzleBatch } from '../data/types.js';
import { type ActMetrics, actLoss, readMetrics } from '../losses.js';
import type { HRM } from '../model/hrm.js';
import { type ACTCarry, disposeCarry } from './carry.js';
import { actStep } from './step.js';

export interface Optimizers {
  /** AdamATan2 over model.trainableParameters(). */
  optimizer: AdamATan2;
  /** SignSGD for the puzzle-embedding table (required when puzzle_emb_ndim > 0). */
  sparse?: SignSGD;
}

export interface TrainStepOptions {
  lr: number;
  puzzleEmbLr: number;
  rng: Rng;
  /** Divisor of the summed loss before backward (default: batch.size, the global batch on one device). */
  globalBatchSize?: number;
}

/**
 * Consumes `carry` (its tensors are disposed) and returns the next one with the step's metric
 * sums. Every other tensor the step creates is freed before it returns.
 */
export async function trainStep(
  model: HRM,
  optimizers: Optimizers,
  carry: ACTCarry,
  batch: PuzzleBatch,
  opts: TrainStepOptions,
): Promise<{ carry: ACTCarry; metrics: ActMetrics }> {
  const table = model.puzzleEmbTable;
  if (table && !optimizers.sparse) throw new Error('trainStep: the model has a puzzle embedding; pass a SignSGD as optimizers.sparse.');
  optimizers.optimizer.lr = opts.lr;
  if (optimizers.sparse) optimizers.sparse.lr = opts.puzzleEmbLr;

  const { next, metrics } = tidy(() => {
    const { carry: next, outputs } = actStep(model, carry, batch, { training: true, rng: opts.rng });
    const { loss, metrics } = actLoss(outputs, next, model.config.loss_type);
    backward(div(loss, opts.globalBatchSize ?? batch.size));
    const rowGrads = outputs.puzzleEmbRows?.grad;
    if (table && rowGrads) optimizers.sparse!.stepRows(table, next.puzzleIdentifiers, rowGrads);
    optimizers.optimizer.step();
    optimizers.optimizer.zeroGrad();
    return { next, metrics };
  });
  disposeCarry(carry);
  try {
    return { carry: next, metrics: await readMetrics(metrics) };
  } finally {
    metrics.dispose();
  }
}
