/**
 * The computation behind `hrm trace`, for checking this implementation against others with the
 * same weights and batch: per-segment evaluation outputs from a fresh carry, the loss and every
 * gradient of one training segment under the official key names, or a few full training steps;
 * and the safetensors layout the traces are written in.
 */
import { Rng, type SafetensorsTensor, type Tensor, backward, div, noGrad, tidy } from '@hrm-webgpu/tensor';
import { type ACTCarry, disposeCarry, initialCarry, readCarryState } from './act/carry.js';
import { actStep } from './act/step.js';
import { trainStep } from './act/train-step.js';
import type { PuzzleBatch } from './data/types.js';
import { type ActMetrics, actLoss, readMetrics } from './losses.js';
import type { HRM } from './model/hrm.js';
import { createOptimizers, learningRates, type OptimizerHyperparameters } from './train/optimizers.js';

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

/** Host copy of a float tensor. */
export async function toHostArray(t: Tensor): Promise<HostArray> {
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
        out.push({ logits: await toHostArray(logits), qHaltLogits: await toHostArray(qHaltLogits), qContinueLogits: await toHostArray(qContinueLogits) });
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

/** The carry's bookkeeping on the host: segments run on the current data, and the halted flags. */
export interface CarryState {
  steps: Int32Array;
  halted: boolean[];
}

/**
 * Runs one training-mode segment per batch, in order, without gradients or parameter updates:
 * the carry moves exactly as in training (halting by Q values and the exploration drawn from
 * rng, then reset and swap-in of the halted slots at the next segment). Consumes `carry` and
 * returns the next one (dispose it with disposeCarry).
 */
export function advanceCarry(model: HRM, carry: ACTCarry, batches: readonly PuzzleBatch[], rng: Rng): ACTCarry {
  for (const batch of batches) {
    const next = tidy(() => noGrad(() => actStep(model, carry, batch, { training: true, rng }).carry));
    disposeCarry(carry);
    carry = next;
  }
  return carry;
}

export interface GradientTrace {
  /** Summed total loss lm + 0.5 (q_halt + q_continue) of the segment, before the division. */
  loss: number;
  /** The gradients are those of loss / lossDivisor (batch.size: the reference's global batch). */
  lossDivisor: number;
  metrics: ActMetrics;
  /**
   * Gradient of every trainable parameter by official key (no prefix), plus
   * `puzzle_emb.local_weights` `[B, puzzle_emb_ndim]`: the gradient of the batch's puzzle rows in
   * batch order (the reference's sparse-embedding leaf), when the model has a puzzle embedding.
   */
  gradients: Map<string, HostArray>;
  /** The segment's outputs, and the sigmoid of the bootstrapped Q value when one was computed (halt_max_steps > 1). */
  outputs: SegmentTrace & { targetQContinue?: HostArray };
  /** The carry going into the segment (after any warm-up) and the one it leaves. */
  carryIn: CarryState;
  carryOut: CarryState;
}

/**
 * One training segment, from `opts.carry` (left as it is) or else from the initial carry (every
 * slot takes the batch); gradients of loss / batch.size. The model's weights are not changed
 * and its gradients are zeroed after. The rng only drives the halting exploration, which
 * affects the metrics and carryOut, never the gradients.
 */
export async function traceTrainGradients(model: HRM, batch: PuzzleBatch, opts: { rng?: Rng; carry?: ACTCarry } = {}): Promise<GradientTrace> {
  const carry = opts.carry ?? initialCarry(model, batch.size);
  const rng = opts.rng ?? new Rng(0);
  const params = [...model.parameters];
  try {
    const step = tidy(() => {
      const { carry: next, outputs } = actStep(model, carry, batch, { training: true, rng });
      const { loss, metrics } = actLoss(outputs, next, model.config.loss_type);
      backward(div(loss, batch.size));
      const { logits, qHaltLogits, qContinueLogits, targetQContinue } = outputs;
      // The rows leaf (and its gradient) die with this scope; a detached alias keeps the values.
      const rowGrad = outputs.puzzleEmbRows?.grad?.detach() ?? null;
      return {
        loss,
        metrics,
        rowGrad,
        next,
        logits: logits.detach(),
        qHaltLogits: qHaltLogits.detach(),
        qContinueLogits: qContinueLogits.detach(),
        targetQContinue,
      };
    });
    const gradients = new Map<string, HostArray>();
    try {
      for (const [key, p] of params) {
        if (!p.grad) throw new Error(`traceTrainGradients: parameter "${key}" received no gradient.`);
        gradients.set(key, await toHostArray(p.grad));
      }
      if (step.rowGrad) gradients.set('puzzle_emb.local_weights', await toHostArray(step.rowGrad));
      const outputs: GradientTrace['outputs'] = {
        logits: await toHostArray(step.logits),
        qHaltLogits: await toHostArray(step.qHaltLogits),
        qContinueLogits: await toHostArray(step.qContinueLogits),
      };
      if (step.targetQContinue) outputs.targetQContinue = await toHostArray(step.targetQContinue);
      return {
        loss: await step.loss.item(),
        lossDivisor: batch.size,
        metrics: await readMetrics(step.metrics),
        gradients,
        outputs,
        carryIn: await readCarryState(carry),
        carryOut: await readCarryState(step.next),
      };
    } finally {
      for (const t of [step.loss, step.metrics, step.rowGrad, step.logits, step.qHaltLogits, step.qContinueLogits, step.targetQContinue]) t?.dispose();
      disposeCarry(step.next);
    }
  } finally {
    if (!opts.carry) disposeCarry(carry);
    for (const [, p] of params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
}

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
      steps.push({
        lr,
        puzzleEmbLr,
        loss: m.lm_loss + 0.5 * (m.q_halt_loss + (m.q_continue_loss ?? 0)),
        metrics: m,
        carry: await readCarryState(carry),
        weights,
      });
    }
  } finally {
    optimizers.optimizer.dispose();
  }
  return { steps, carry };
}

/** A trace as a safetensors file's tensors and metadata. */
export interface TraceFile {
  entries: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

function entry(a: HostArray): SafetensorsTensor {
  return a.data instanceof Float64Array ? { dtype: 'f64', shape: a.shape, data: a.data } : { dtype: 'f32', shape: a.shape, data: Float32Array.from(a.data) };
}

function scalar(value: number): SafetensorsTensor {
  return { dtype: 'f64', shape: [], data: Float64Array.of(value) };
}

function carryEntries(name: string, state: CarryState): Record<string, SafetensorsTensor> {
  const rows = [state.steps.length];
  return {
    [`${name}.steps`]: { dtype: 'i32', shape: rows, data: Int32Array.from(state.steps) },
    [`${name}.halted`]: { dtype: 'i32', shape: rows, data: Int32Array.from(state.halted, Number) },
  };
}

/** `segments.{i}.logits`, `.q_halt_logits`, `.q_continue_logits` per evaluation segment. */
export function segmentTraceFile(trace: readonly SegmentTrace[]): TraceFile {
  const entries: Record<string, SafetensorsTensor> = {};
  for (const [name, a] of Object.entries(segmentTraceEntries(trace))) entries[name] = entry(a);
  return { entries, metadata: {} };
}

/**
 * `loss`, the segment's outputs, the carry's bookkeeping going in and out, and every gradient
 * under `prefix` + its key; the loss divisor and the metrics in the metadata.
 */
export function gradientTraceFile(trace: GradientTrace, prefix: string): TraceFile {
  const { logits, qHaltLogits, qContinueLogits, targetQContinue } = trace.outputs;
  const entries: Record<string, SafetensorsTensor> = {
    loss: scalar(trace.loss),
    logits: entry(logits),
    q_halt_logits: entry(qHaltLogits),
    q_continue_logits: entry(qContinueLogits),
    ...(targetQContinue ? { target_q_continue: entry(targetQContinue) } : {}),
    ...carryEntries('carry_in', trace.carryIn),
    ...carryEntries('carry_out', trace.carryOut),
  };
  for (const [key, g] of trace.gradients) entries[prefix + key] = entry(g);
  return { entries, metadata: { loss_divisor: String(trace.lossDivisor), metrics: JSON.stringify(trace.metrics) } };
}

/** Per step k: `train_steps.{k}.lr`, `.puzzle_emb_lr`, `.loss`, `.carry.*` and every weight under `prefix`; the metrics in the metadata. */
export function trainingStepsTraceFile(steps: readonly TrainingStepTrace[], prefix: string): TraceFile {
  const entries: Record<string, SafetensorsTensor> = {};
  steps.forEach((s, k) => {
    const at = `train_steps.${k}.`;
    Object.assign(
      entries,
      { [`${at}lr`]: scalar(s.lr), [`${at}puzzle_emb_lr`]: scalar(s.puzzleEmbLr), [`${at}loss`]: scalar(s.loss) },
      carryEntries(`${at}carry`, s.carry),
    );
    for (const [key, w] of s.weights) entries[at + prefix + key] = entry(w);
  });
  return { entries, metadata: { metrics: JSON.stringify(steps.map((s) => s.metrics)) } };
}
