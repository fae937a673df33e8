/**
 * ACT losses and metrics (spec section 5, models/losses.py). The loss sums over every batch slot,
 * halted or not; the metrics count only slots that halted at this step and have labels.
 * Metrics stay on the device as one packed vector until read, so a step costs one readback.
 */
import { type Tensor, add, argmax, cast, concat, div, eq, ge, gt, logicalAnd, maximum, mul, ne, nn, noGrad, reshape, sum } from '@hrm-webgpu/tensor';
import type { ACTCarry } from './act/carry.js';
import type { ActOutputs } from './act/step.js';
import type { LossType } from './config.js';
import { IGNORE_LABEL_ID } from './data/dataset.js';

/** Order of the packed metrics vector; q_continue_loss only when a target was computed (training). */
export const METRIC_NAMES = ['count', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps', 'lm_loss', 'q_halt_loss', 'q_continue_loss'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * Sums over the valid slots (halted and with at least one label): count, accuracy (per-sequence
 * token accuracy, summed), exact_accuracy, q_halt_accuracy, steps; losses summed over all slots.
 */
export interface ActMetrics {
  count: number;
  accuracy: number;
  exact_accuracy: number;
  q_halt_accuracy: number;
  steps: number;
  lm_loss: number;
  q_halt_loss: number;
  /** Present in training (when outputs carry targetQContinue), as in the reference. */
  q_continue_loss?: number;
}

export interface ActLossResult {
  /** lm_loss + 0.5 * (q_halt_loss + q_continue_loss), summed over slots: divide by the global batch before backward. */
  loss: Tensor;
  /** Packed metrics in METRIC_NAMES order (7 entries without q_continue_loss); read with readMetrics. */
  metrics: Tensor;
}

/** Per-token cross entropy [B, seq], 0 at ignored labels. */
export function tokenLoss(lossType: LossType, logits: Tensor, labels: Tensor): Tensor {
  const opts = { ignoreIndex: IGNORE_LABEL_ID, reduction: 'none' as const };
  return lossType === 'stablemax_cross_entropy' ? nn.stablemaxCrossEntropy(logits, labels, opts) : nn.crossEntropy(logits, labels, opts);
}

/** carry is the carry returned by the step that produced outputs (its labels, halted and steps). */
export function actLoss(outputs: ActOutputs, carry: ACTCarry, lossType: LossType): ActLossResult {
  const { logits, qHaltLogits, qContinueLogits, targetQContinue } = outputs;
  const dtype = logits.dtype;
  const f = (t: Tensor) => cast(t, dtype);
  const labels = carry.labels;
  const B = labels.shape[0]!;

  const { counts, divisor, tokenCorrect, seqCorrect } = noGrad(() => {
    const mask = ne(labels, IGNORE_LABEL_ID);
    const counts = sum(f(mask), -1);
    const isCorrect = logicalAnd(mask, eq(argmax(logits, -1), labels));
    const tokenCorrect = sum(f(isCorrect), -1);
    return { counts, divisor: maximum(counts, 1), tokenCorrect, seqCorrect: eq(tokenCorrect, counts) };
  });

  const lmLoss = sum(div(tokenLoss(lossType, logits, labels), reshape(divisor, [B, 1])));
  const qHaltLoss = nn.bceWithLogits(qHaltLogits, f(seqCorrect), { reduction: 'sum' });
  const qContinueLoss = targetQContinue ? nn.bceWithLogits(qContinueLogits, targetQContinue, { reduction: 'sum' }) : null;
  const loss = add(lmLoss, mul(qContinueLoss ? add(qHaltLoss, qContinueLoss) : qHaltLoss, 0.5));

  const metrics = noGrad(() => {
    const valid = logicalAnd(carry.halted, gt(counts, 0));
    const validF = f(valid);
    const values = [
      sum(validF),
      sum(mul(validF, div(tokenCorrect, divisor))),
      sum(f(logicalAnd(valid, seqCorrect))),
      sum(mul(validF, f(eq(f(ge(qHaltLogits, 0)), f(seqCorrect))))),
      sum(mul(validF, f(carry.steps))),
      lmLoss.detach(),
      qHaltLoss.detach(),
      ...(qContinueLoss ? [qContinueLoss.detach()] : []),
    ];
    return concat(
      values.map((v) => reshape(v, [1])),
      0,
    );
  });
  return { loss, metrics };
}

/** Reads a packed metrics vector from actLoss. */
export async function readMetrics(packed: Tensor): Promise<ActMetrics> {
  const values = await packed.data();
  const out: Partial<Record<MetricName, number>> = {};
  for (let i = 0; i < values.length; i++) out[METRIC_NAMES[i]!] = values[i]!;
  return out as ActMetrics;
}

/** Adds metric sums (for accumulating over evaluation batches). */
export function addMetrics(a: ActMetrics, b: ActMetrics): ActMetrics {
  const out = { ...a };
  for (const name of METRIC_NAMES) {
    if (a[name] !== undefined || b[name] !== undefined) out[name] = (a[name] ?? 0) + (b[name] ?? 0);
  }
  return out;
}

/**
 * The reference's logged values. Training (pretrain.py train_batch): losses divided by the
 * global batch size, the rest by max(count, 1). Evaluation: everything divided by count.
 */
export function reduceMetrics(m: ActMetrics, mode: 'train' | 'eval', globalBatchSize: number): Record<string, number> {
  const count = Math.max(m.count, mode === 'train' ? 1 : 0);
  const out: Record<string, number> = {};
  for (const name of METRIC_NAMES) {
    const v = m[name];
    if (v === undefined || name === 'count') continue;
    out[name] = v / (mode === 'train' && name.endsWith('loss') ? globalBatchSize : count);
  }
  out.count = m.count;
  return out;
}
