/**
 * Evaluation, as the reference's evaluate loop: every example runs halt_max_steps segments from a
 * fresh carry with no exploration, and the metrics of spec section 5 are those of the final
 * segment. They are computed here on the host, per example, so that reports can slice them
 * (Sudoku difficulty buckets, ARC voting).
 *
 * The same pass also measures inference-time scaling (the paper's accuracy against segments):
 * the metrics after each requested segment count, running on past halt_max_steps exactly as a
 * model with a larger halt_max_steps would, and the segment at which the learned halting
 * (q_halt > q_continue) would have stopped each example.
 */
import { argmax, full, noGrad, tidy } from '@hrm-webgpu/tensor';
import { type ACTCarry, disposeCarry, initialCarry } from './act/carry.js';
import { actStep } from './act/step.js';
import { testBatches } from './data/batching.js';
import { IGNORE_LABEL_ID, numExamples, type PuzzleDataset } from './data/dataset.js';
import type { PuzzleBatch } from './data/types.js';
import { type ActMetrics, actLoss, readMetrics } from './losses.js';
import type { HRM } from './model/hrm.js';

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
  /** Metric sums of the last segment run (count = rows with at least one labelled position). */
  metrics: ActMetrics;
}

export interface EvaluateOptions {
  /**
   * Segment counts after which the metrics are recorded as well (the accuracy-vs-segments curve);
   * the pass runs max(halt_max_steps, ...segmentCounts) segments. Default: [halt_max_steps].
   */
  segmentCounts?: readonly number[];
  /** evaluateDataset: rows per batch (default 256). */
  batchSize?: number;
  /** evaluateDataset: evaluate only the first this many examples. */
  limit?: number;
  /** evaluateDataset: called after every batch with the examples done so far. */
  onBatch?: (done: number, total: number) => void;
  /** evaluateBatch: called after every segment with its predictions (for `hrm solve` and demos). */
  onSegment?: (segment: SegmentPrediction) => void;
}

export interface EvalMetrics {
  /** Token accuracy over labelled positions, averaged per sequence as the reference does. */
  accuracy: number;
  /** Fraction of sequences predicted entirely right: the headline number. */
  exact_accuracy: number;
  /** Fraction where (q_halt >= 0) agrees with the sequence being right. */
  q_halt_accuracy: number;
  /** Mean segments run (halt_max_steps in evaluation). */
  steps: number;
  /** Examples evaluated (those with at least one labelled position). */
  count: number;
}

/** Where the learned halting would have stopped: per example, and on average. */
export interface LearnedHalting {
  /** Per example: the first segment (1-based) with q_halt > q_continue, else the last segment run. */
  segments: Int32Array;
  /** Per example: 1 when the prediction at that segment is entirely right. */
  exact: Uint8Array;
  /** Mean of `segments` over the counted examples. */
  mean_segments: number;
  /** Exact accuracy when every example stops where its learned halting says. */
  exact_accuracy: number;
  /** The cap: the segments the pass ran. */
  max_segments: number;
}

export interface EvalOutputs {
  /** After halt_max_steps segments: the plain evaluation. */
  metrics: EvalMetrics;
  /** Per example: 1 when the whole sequence is right (after halt_max_steps segments). */
  exact: Uint8Array;
  /** Per example, [numExamples * seqLen]: the argmax tokens after halt_max_steps segments. */
  predictions: Int32Array;
  /** Per example: the q_halt logit after halt_max_steps segments. */
  qHalt: Float32Array;
  /** One entry per requested segment count, ascending: its metrics and per-example exactness. */
  curve: { metrics: EvalMetrics; exact: Uint8Array }[];
  halting: LearnedHalting;
}

function segmentPlan(model: HRM, counts: readonly number[] | undefined): { counts: number[]; total: number } {
  const max = model.config.halt_max_steps;
  const sorted = [...new Set(counts ?? [max])].sort((a, b) => a - b);
  const bad = sorted.find((c) => !(Number.isInteger(c) && c >= 1));
  if (bad !== undefined) throw new Error(`segment counts must be positive integers, got ${bad}`);
  return { counts: sorted, total: Math.max(max, sorted.at(-1) ?? max) };
}

/**
 * One batch through max(halt_max_steps, ...segmentCounts) segments. In evaluation a slot halts
 * only at halt_max_steps; beyond it the halted flags are cleared so that every slot runs on from
 * its state instead of restarting, which is what a larger halt_max_steps would do.
 */
export async function evaluateBatch(model: HRM, batch: PuzzleBatch, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const { total } = segmentPlan(model, opts.segmentCounts);
  let carry: ACTCarry = initialCarry(model, batch.size);
  let result: EvaluateResult | undefined;
  try {
    for (let segment = 0; segment < total; segment++) {
      const final = segment === total - 1;
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
      if (!final && segment + 1 >= model.config.halt_max_steps) {
        carry.halted.dispose();
        carry.halted = full([batch.size], 0, { dtype: 'bool' }).keep();
      }
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

/** Per-example sums of one segment count, turned into EvalMetrics at the end. */
class MetricSums {
  readonly exact: Uint8Array;
  private accuracy = 0;
  private exactSum = 0;
  private qHaltRight = 0;

  constructor(
    readonly segments: number,
    size: number,
  ) {
    this.exact = new Uint8Array(size);
  }

  add(example: number, tokenAccuracy: number, isExact: boolean, qHalt: number): void {
    this.exact[example] = isExact ? 1 : 0;
    this.accuracy += tokenAccuracy;
    if (isExact) this.exactSum++;
    if (qHalt >= 0 === isExact) this.qHaltRight++;
  }

  metrics(counted: number): EvalMetrics {
    const div = Math.max(counted, 1);
    return {
      accuracy: this.accuracy / div,
      exact_accuracy: this.exactSum / div,
      q_halt_accuracy: this.qHaltRight / div,
      steps: counted > 0 ? this.segments : 0,
      count: counted,
    };
  }
}

/** Labelled and right positions of row `row` of a batch's predictions against example `example`'s labels. */
function scoreRow(predictions: Int32Array, row: number, labels: Int32Array, example: number, seqLen: number): { labelled: number; right: number } {
  let labelled = 0;
  let right = 0;
  for (let t = 0; t < seqLen; t++) {
    const label = labels[example * seqLen + t]!;
    if (label === IGNORE_LABEL_ID) continue;
    labelled++;
    if (predictions[row * seqLen + t] === label) right++;
  }
  return { labelled, right };
}

/** Evaluates a whole split (see the module comment); examples without labels are not counted. */
export async function evaluateDataset(model: HRM, data: PuzzleDataset, opts: EvaluateOptions = {}): Promise<EvalOutputs> {
  const seqLen = data.metadata.seq_len;
  const haltMax = model.config.halt_max_steps;
  const { counts, total: segments } = segmentPlan(model, opts.segmentCounts);
  const total = Math.min(numExamples(data), opts.limit ?? Infinity);
  const predictions = new Int32Array(total * seqLen);
  const qHalt = new Float32Array(total);
  const plain = new MetricSums(haltMax, total);
  const curve = counts.map((c) => (c === haltMax ? plain : new MetricSums(c, total)));
  const tracked = [...new Set([plain, ...curve])];
  const haltSegments = new Int32Array(total);
  const haltExact = new Uint8Array(total);
  const labelled = new Uint8Array(total);

  for (const { batch, start, count: rows } of testBatches(data, opts.batchSize ?? 256, total)) {
    const halted = new Uint8Array(rows);
    await evaluateBatch(model, batch, {
      segmentCounts: [segments],
      onSegment: ({ segment, predictions: p, qHaltLogits, qContinueLogits }) => {
        const done = segment + 1;
        const sums = tracked.filter((s) => s.segments === done);
        for (let r = 0; r < rows; r++) {
          const e = start + r;
          const score = scoreRow(p, r, data.labels, e, seqLen);
          if (score.labelled === 0) continue;
          labelled[e] = 1;
          const isExact = score.right === score.labelled;
          for (const s of sums) s.add(e, score.right / score.labelled, isExact, qHaltLogits[r]!);
          if (!halted[r] && (qHaltLogits[r]! > qContinueLogits[r]! || done === segments)) {
            halted[r] = 1;
            haltSegments[e] = done;
            haltExact[e] = isExact ? 1 : 0;
          }
        }
        if (done === haltMax) {
          predictions.set(p.subarray(0, rows * seqLen), start * seqLen);
          qHalt.set(qHaltLogits.subarray(0, rows), start);
        }
      },
    });
    opts.onBatch?.(start + rows, total);
  }

  let counted = 0;
  let haltSum = 0;
  let haltRight = 0;
  for (let e = 0; e < total; e++) {
    if (!labelled[e]) continue;
    counted++;
    haltSum += haltSegments[e]!;
    haltRight += haltExact[e]!;
  }
  return {
    metrics: plain.metrics(counted),
    exact: plain.exact,
    predictions,
    qHalt,
    curve: curve.map((s) => ({ metrics: s.metrics(counted), exact: s.exact })),
    halting: {
      segments: haltSegments,
      exact: haltExact,
      mean_segments: haltSum / Math.max(counted, 1),
      exact_accuracy: haltRight / Math.max(counted, 1),
      max_segments: segments,
    },
  };
}
