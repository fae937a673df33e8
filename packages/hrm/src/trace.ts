/**
 * The computation behind `hrm trace`, for checking this implementation against others with the
 * same weights and batch: per-segment evaluation outputs from a fresh carry, or the loss and
 * every gradient of one training segment under the official key names.
 */
import { Rng, type Tensor, backward, div, noGrad, tidy } from '@hrm-webgpu/tensor';
import { type ACTCarry, disposeCarry, initialCarry } from './act/carry.js';
import { actStep } from './act/step.js';
import type { PuzzleBatch } from './data/types.js';
import { type ActMetrics, actLoss, readMetrics } from './losses.js';
import type { HRM } from './model/hrm.js';

/** A host tensor in the shape serializeSafetensors takes. */
export type HostArray = { dtype: 'f32'; shape: number[]; data: Float32Array } | { dtype: 'f64'; shape: number[]; data: Float64Array };

export interface SegmentTrace {
  /** [B, seq_len, vocab] */
  logits: HostArray;
  /** [B] */
  qHaltLogits: HostArray;
  /** [B] */
  qContinueLogits: HostArray;
}

async function toHost(t: Tensor): Promise<HostArray> {
  const data = await t.data();
  if (data instanceof Float32Array) return { dtype: 'f32', shape: [...t.shape], data };
  if (data instanceof Float64Array) return { dtype: 'f64', shape: [...t.shape], data };
  throw new Error(`trace: expected a float tensor, found ${t.dtype}.`);
}

/** n evaluation segments from the initial carry (slots halt, and restart, only at halt_max_steps). */
export async function traceSegments(model: HRM, batch: PuzzleBatch, n: number): Promise<SegmentTrace[]> {
  let carry: ACTCarry = initialCarry(model, batch.size);
  const out: SegmentTrace[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const step = tidy(() => noGrad(() => actStep(model, carry, batch, { training: false })));
      disposeCarry(carry);
      carry = step.carry;
      const { logits, qHaltLogits, qContinueLogits } = step.outputs;
      try {
        out.push({ logits: await toHost(logits), qHaltLogits: await toHost(qHaltLogits), qContinueLogits: await toHost(qContinueLogits) });
      } finally {
        for (const t of [logits, qHaltLogits, qContinueLogits]) t.dispose();
      }
    }
  } finally {
    disposeCarry(carry);
  }
  return out;
}

/** Flat, named entries for a safetensors file: `segments.{i}.logits`, `.q_halt_logits`, `.q_continue_logits`. */
export function segmentTraceEntries(trace: readonly SegmentTrace[]): Record<string, HostArray> {
  const entries: Record<string, HostArray> = {};
  trace.forEach((s, i) => {
    entries[`segments.${i}.logits`] = s.logits;
    entries[`segments.${i}.q_halt_logits`] = s.qHaltLogits;
    entries[`segments.${i}.q_continue_logits`] = s.qContinueLogits;
  });
  return entries;
}

export interface GradientTrace {
  /** Summed total loss lm + 0.5 (q_halt + q_continue) of the segment, before the division. */
  loss: number;
  /** The gradients are those of loss / lossDivisor (batch.size: the reference's global batch). */
  lossDivisor: number;
  metrics: ActMetrics;
  /**
   * Gradient of every trainable parameter by official key (no prefix), plus
   * `puzzle_emb.local_weights` [B, puzzle_emb_ndim]: the gradient of the batch's puzzle rows in
   * batch order (the reference's sparse-embedding leaf), when the model has a puzzle embedding.
   */
  gradients: Map<string, HostArray>;
}

/**
 * One training segment from the initial carry (every slot takes the batch), gradients of
 * loss / batch.size. The model's weights are not changed and its gradients are zeroed after.
 * The rng only drives the halting exploration, which affects metrics, never the gradients.
 */
export async function traceTrainGradients(model: HRM, batch: PuzzleBatch, opts: { rng?: Rng } = {}): Promise<GradientTrace> {
  const carry = initialCarry(model, batch.size);
  const rng = opts.rng ?? new Rng(0);
  const params = [...model.parameters];
  try {
    const step = tidy(() => {
      const { carry: next, outputs } = actStep(model, carry, batch, { training: true, rng });
      const { loss, metrics } = actLoss(outputs, next, model.config.loss_type);
      backward(div(loss, batch.size));
      disposeCarry(next);
      // The rows leaf (and its gradient) die with this scope; a detached alias keeps the values.
      return { loss, metrics, rowGrad: outputs.puzzleEmbRows?.grad?.detach() ?? null };
    });
    const gradients = new Map<string, HostArray>();
    try {
      for (const [key, p] of params) {
        if (!p.grad) throw new Error(`traceTrainGradients: parameter "${key}" received no gradient.`);
        gradients.set(key, await toHost(p.grad));
      }
      if (step.rowGrad) gradients.set('puzzle_emb.local_weights', await toHost(step.rowGrad));
      return { loss: await step.loss.item(), lossDivisor: batch.size, metrics: await readMetrics(step.metrics), gradients };
    } finally {
      for (const t of [step.loss, step.metrics, step.rowGrad]) t?.dispose();
    }
  } finally {
    disposeCarry(carry);
    for (const [, p] of params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
}
