/** One puzzle through every evaluation segment: each segment's prediction and halting confidence. */
import { evaluateBatch } from '../evaluate.js';
import { IGNORE_LABEL_ID } from '../data/dataset.js';
import type { HRM } from '../model/hrm.js';

export interface SegmentResult {
  /** Argmax tokens, [seq_len]. */
  prediction: Int32Array;
  /** sigmoid(q_halt): the model's confidence that the answer is final. */
  haltProbability: number;
}

/**
 * Runs `segments` segments (at most halt_max_steps: evaluation restarts a slot after that) on one
 * sequence of input tokens, with puzzle identifier `puzzleId`.
 */
export async function segmentPredictions(model: HRM, tokens: Int32Array, segments: number, puzzleId = 0): Promise<SegmentResult[]> {
  const seqLen = model.config.seq_len;
  if (tokens.length !== seqLen) throw new Error(`the model expects ${seqLen} tokens, got ${tokens.length}`);
  const count = Math.min(segments, model.config.halt_max_steps);
  const results: SegmentResult[] = [];
  const batch = {
    size: 1,
    seqLen,
    inputs: Int32Array.from(tokens),
    labels: new Int32Array(seqLen).fill(IGNORE_LABEL_ID),
    puzzleIdentifiers: Int32Array.of(puzzleId),
  };
  await evaluateBatch(model, batch, {
    onSegment: (s) => {
      if (s.segment < count) {
        results.push({ prediction: Int32Array.from(s.predictions), haltProbability: 1 / (1 + Math.exp(-s.qHaltLogits[0]!)) });
      }
    },
  });
  return results;
}
