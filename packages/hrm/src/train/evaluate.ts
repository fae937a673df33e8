/**
 * Evaluation over a whole test split: every example runs halt_max_steps segments (the model's
 * evaluateBatch), and the metrics of spec section 5 are computed here from the final predictions,
 * per example, so that reports can slice them (Sudoku difficulty buckets, ARC voting).
 */
import { testBatches } from '../data/batching.js';
import { IGNORE_LABEL_ID, numExamples, type PuzzleDataset } from '../data/dataset.js';
import { evaluateBatch } from '../act/evaluate.js';
import type { HRM } from '../model/hrm.js';

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

export interface EvalOutputs {
  metrics: EvalMetrics;
  /** Per example: 1 when the whole sequence is right. */
  exact: Uint8Array;
  /** Per example, [numExamples * seqLen]: the final segment's argmax tokens. */
  predictions: Int32Array;
  /** Per example: the final segment's q_halt logit. */
  qHalt: Float32Array;
}

export interface EvaluateOptions {
  batchSize: number;
  /** Evaluate only the first this many examples. */
  limit?: number;
  /** Called after every batch with the examples done so far. */
  onBatch?: (done: number, total: number) => void;
}

export async function evaluateDataset(model: HRM, data: PuzzleDataset, opts: EvaluateOptions): Promise<EvalOutputs> {
  const seqLen = data.metadata.seq_len;
  const total = Math.min(numExamples(data), opts.limit ?? Infinity);
  const predictions = new Int32Array(total * seqLen);
  const qHalt = new Float32Array(total);
  const exact = new Uint8Array(total);
  let steps = 0;
  for (const { batch, start, count: rows } of testBatches(data, opts.batchSize, total)) {
    const out = await evaluateBatch(model, batch);
    predictions.set(out.predictions.subarray(0, rows * seqLen), start * seqLen);
    qHalt.set(out.qHaltLogits.subarray(0, rows), start);
    steps += model.config.halt_max_steps * rows;
    opts.onBatch?.(start + rows, total);
  }
  let counted = 0;
  let accuracy = 0;
  let exactSum = 0;
  let qHaltRight = 0;
  for (let e = 0; e < total; e++) {
    let labelled = 0;
    let right = 0;
    for (let t = e * seqLen; t < (e + 1) * seqLen; t++) {
      const label = data.labels[t]!;
      if (label === IGNORE_LABEL_ID) continue;
      labelled++;
      if (predictions[t] === label) right++;
    }
    if (labelled === 0) continue;
    counted++;
    const isExact = right === labelled;
    exact[e] = isExact ? 1 : 0;
    accuracy += right / labelled;
    exactSum += exact[e]!;
    if (qHalt[e]! >= 0 === isExact) qHaltRight++;
  }
  const div = Math.max(counted, 1);
  return {
    metrics: {
      accuracy: accuracy / div,
      exact_accuracy: exactSum / div,
      q_halt_accuracy: qHaltRight / div,
      steps: total > 0 ? steps / total : 0,
      count: counted,
    },
    exact,
    predictions,
    qHalt,
  };
}
