/**
 * Evaluation of one batch (the reference's evaluate loop): halt_max_steps segments from a fresh
 * carry, no exploration, so every sample runs every segment; metrics of the final segment.
 */
import { argmax, noGrad, tidy } from '@hrm-webgpu/tensor';
import type { PuzzleBatch } from '../data/types.js';
import { type ActMetrics, actLoss, readMetrics } from '../losses.js';
import type { HRM } from '../model/hrm.js';
import { type ACTCarry, disposeCarry, initialCarry } from './carry.js';
import { actStep } from './step.js';

export interface SegmentPrediction {
  /** 0-based segment index. */
  segment: number;
  /** Argmax tokens, [B * seq_len] row-major. */
  predictions: Int32Array;
  /** [B] */
  qHaltLogits: Float32Array | Float64Array;
  /** [B] */
  qContinueLogits: Float32Array | Float64Array;
}

export interface EvaluateResult extends SegmentPrediction {
  /** Metric sums of the final segment (count = rows with at least one label). */
  metrics: ActMetrics;
}

export interface EvaluateOptions {
  /** Called after every segment with its predictions (for `hrm solve` and demos). */
  onSegment?: (segment: SegmentPrediction) => void;
}

export async function evaluateBatch(model: HRM, batch: PuzzleBatch, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const segments = model.config.halt_max_steps;
  let carry: ACTCarry = initialCarry(model, batch.size);
  let result: EvaluateResult | undefined;
  try {
    for (let segment = 0; segment < segments; segment++) {
      const final = segment === segments - 1;
      const report = final || opts.onSegment !== undefined;
      const step = tidy(() =>
        noGrad(() => {
          const { carry: next, outputs } = actStep(model, carry, batch, { training: false });
          return {
            next,
            metrics: final ? actLoss(outputs, next, model.config.loss_type).metrics : null,
            predictions: report ? argmax(outputs.logits, -1) : null,
            qHalt: report ? outputs.qHaltLogits : null,
            qContinue: report ? outputs.qContinueLogits : null,
          };
        }),
      );
      disposeCarry(carry);
      carry = step.next;
      try {
        if (!step.predictions || !step.qHalt || !step.qContinue) continue;
        const prediction: SegmentPrediction = {
          segment,
          predictions: (await step.predictions.data()) as Int32Array,
          qHaltLogits: (await step.qHalt.data()) as Float32Array | Float64Array,
          qContinueLogits: (await step.qContinue.data()) as Float32Array | Float64Array,
        };
        opts.onSegment?.(prediction);
        if (step.metrics) result = { ...prediction, metrics: await readMetrics(step.metrics) };
      } finally {
        for (const t of [step.metrics, step.predictions, step.qHalt, step.qContinue]) t?.dispose();
      }
    }
  } finally {
    disposeCarry(carry);
  }
  return result!;
}
