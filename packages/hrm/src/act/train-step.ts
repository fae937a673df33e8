/**
 * One training step = one segment for every batch slot (deep supervision): ACT step, loss,
 * backward of total / global_batch, the squared gradient norm (a cheap device reduction that
 * exposes any NaN or infinity), sparse SignSGD on the touched puzzle-embedding rows, then
 * AdamATan2 on the parameters (the reference's optimiser order), gradients zeroed.
 */
import { type AdamATan2, type Rng, type SignSGD, type Tensor, add, backward, cast, concat, div, mul, reshape, sum, tidy, zeros } from '@hrm-webgpu/tensor';
import type { PuzzleBatch } from '../data/types.js';
import { type ActMetrics, actLoss, METRIC_NAMES } from '../losses.js';
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
  /**
   * Read the step's loss and gradient norm back before updating, and skip the update (weights and
   * optimiser state untouched) when either is not finite. Costs one readback per step.
   */
  skipNonFinite?: boolean;
}

/** Order of a training step's packed metrics: the loss metrics (training has all eight), then the squared gradient norm. */
export const TRAIN_STEP_VALUES = [...METRIC_NAMES, 'grad_norm_sq'] as const;

/** A step's metric sums as read back, with the norm of the gradient of loss / global batch. */
export type TrainStepMetrics = ActMetrics & { q_continue_loss: number; grad_norm: number };

export interface DeviceTrainStep {
  carry: ACTCarry;
  /** Packed metrics in TRAIN_STEP_VALUES order, kept on the device: dispose it (or read it with readTrainStepMetrics). */
  metrics: Tensor;
  /** The update was skipped because the loss or the gradient norm was not finite (only with skipNonFinite). */
  skipped: boolean;
}

/** Sum of squares of every gradient the step produced: one reduction per tensor, summed on the device. */
function gradNormSquared(grads: Tensor[], dtype: Tensor['dtype']): Tensor {
  if (grads.length === 0) return zeros([], { dtype });
  return cast(
    grads.map((g) => sum(mul(g, g))).reduce((a, b) => add(a, b)),
    dtype,
  );
}

/** Reads one packed step vector (or `values`, a slice of several) as metric sums. */
export function trainStepMetrics(values: ArrayLike<number>): TrainStepMetrics {
  if (values.length !== TRAIN_STEP_VALUES.length) throw new Error(`a training step packs ${TRAIN_STEP_VALUES.length} metrics, found ${values.length}`);
  const out: Record<string, number> = {};
  TRAIN_STEP_VALUES.forEach((name, i) => (out[name] = values[i]!));
  const { grad_norm_sq: sq, ...metrics } = out;
  return { ...(metrics as unknown as ActMetrics & { q_continue_loss: number }), grad_norm: Math.sqrt(sq!) };
}

/** True when a step's loss and gradient norm are finite (a NaN or an infinity anywhere in the backward shows in the norm). */
export function isFiniteStep(values: ArrayLike<number>): boolean {
  const m = trainStepMetrics(values);
  return Number.isFinite(m.lm_loss + m.q_halt_loss + m.q_continue_loss) && Number.isFinite(m.grad_norm);
}

/**
 * Consumes `carry` (its tensors are disposed) and returns the next one with the step's packed
 * metrics, which stay on the device so that a trainer can read many steps back at once. Every
 * other tensor the step creates is freed before it returns.
 */
export async function trainStepOnDevice(
  model: HRM,
  optimizers: Optimizers,
  carry: ACTCarry,
  batch: PuzzleBatch,
  opts: TrainStepOptions,
): Promise<DeviceTrainStep> {
  const table = model.puzzleEmbTable;
  if (table && !optimizers.sparse) throw new Error('trainStep: the model has a puzzle embedding; pass a SignSGD as optimizers.sparse.');
  optimizers.optimizer.lr = opts.lr;
  if (optimizers.sparse) optimizers.sparse.lr = opts.puzzleEmbLr;

  const { next, metrics, rows } = tidy(() => {
    const { carry: next, outputs } = actStep(model, carry, batch, { training: true, rng: opts.rng });
    const { loss, metrics } = actLoss(outputs, next, model.config.loss_type);
    backward(div(loss, opts.globalBatchSize ?? batch.size));
    const rows = outputs.puzzleEmbRows ?? null;
    const grads = [...optimizers.optimizer.params.map((p) => p.grad), rows?.grad].filter((g): g is Tensor => g != null);
    const normSq = gradNormSquared(grads, metrics.dtype);
    // The puzzle rows are returned so that their gradient outlives the scope until the update.
    return { next, metrics: concat([metrics, reshape(normSq, [1])], 0).keep(), rows };
  });
  disposeCarry(carry);
  try {
    const skipped = opts.skipNonFinite === true && !isFiniteStep(await metrics.data());
    if (!skipped) {
      const rowGrads = rows?.grad;
      if (table && rowGrads) optimizers.sparse!.stepRows(table, next.puzzleIdentifiers, rowGrads);
      optimizers.optimizer.step();
    }
    return { carry: next, metrics, skipped };
  } catch (e) {
    metrics.dispose();
    throw e;
  } finally {
    optimizers.optimizer.zeroGrad();
    rows?.dispose();
  }
}

/** One training step with its metrics read back (one readback per step; a trainer uses trainStepOnDevice). */
export async function trainStep(
  model: HRM,
  optimizers: Optimizers,
  carry: ACTCarry,
  batch: PuzzleBatch,
  opts: TrainStepOptions,
): Promise<{ carry: ACTCarry; metrics: TrainStepMetrics; skipped: boolean }> {
  const step = await trainStepOnDevice(model, optimizers, carry, batch, opts);
  try {
    return { carry: step.carry, metrics: trainStepMetrics(await step.metrics.data()), skipped: step.skipped };
  } finally {
    step.metrics.dispose();
  }
}
