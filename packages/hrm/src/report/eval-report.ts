/**
 * The report of an evaluation (what `hrm eval` writes as JSON): the metrics of spec section 5 and
 * the learned halting; for Sudoku data with ratings, exact accuracy by difficulty bucket; when
 * asked, accuracy against segments; for ARC data, pass@1 and pass@2 by voting over augmentations.
 */
import { ArcVoter, type ArcReport } from '../data/arc/vote.js';
import { examplePuzzles, type PuzzleDataset } from '../data/dataset.js';
import type { EvalOutputs } from '../evaluate.js';
import { bucketMeans, difficultyBuckets, type DifficultyBucket } from './difficulty.js';
import { segmentsReport, type SegmentsReport } from './segments.js';

export interface EvalReport {
  checkpoint: string;
  data: string;
  step?: number;
  metrics: EvalOutputs['metrics'];
  /** Mean first segment with q_halt > q_continue (capped at the segments run). */
  learned_halting_segments: number;
  segments?: SegmentsReport;
  sudoku?: { buckets: (DifficultyBucket & { mean_halt_segments: number })[] };
  arc?: Omit<ArcReport, 'perTask'> & { perTask: { task: string; solved: Record<number, boolean> }[] };
}

/** ARC data: 30x30 grids over 12 tokens, with named puzzles to vote over. */
export const isArcDataset = (d: PuzzleDataset) => d.metadata.vocab_size === 12 && d.metadata.seq_len === 900 && d.identifiers !== undefined;

/** pass@1 and pass@2 over the tasks, voting each puzzle's augmentations by their q_halt logits. */
export function arcReport(data: PuzzleDataset, out: EvalOutputs): EvalReport['arc'] {
  const voter = new ArcVoter();
  const s = data.metadata.seq_len;
  const puzzles = examplePuzzles(data);
  for (let e = 0; e < out.exact.length; e++) {
    const row = (a: Int32Array) => a.slice(e * s, (e + 1) * s);
    voter.add({
      puzzleName: data.identifiers![data.puzzleIdentifiers[puzzles[e]!]!]!,
      input: row(data.inputs),
      label: row(data.labels).map((t) => Math.max(t, 0)),
      prediction: row(out.predictions),
      qHaltLogit: out.qHalt[e]!,
    });
  }
  const report = voter.report([1, 2]);
  return { ...report, perTask: report.perTask.map((t) => ({ task: t.task, solved: t.solved })) };
}

/** Where the evaluation came from: the checkpoint, the data path and the checkpoint's step. */
export interface EvalSource {
  checkpoint: string;
  data: string;
  step?: number;
}

/** The whole report of `out`, an evaluation of `data`; `bySegments` adds the accuracy against segments (run with segmentCounts). */
export function evalReport(source: EvalSource, data: PuzzleDataset, out: EvalOutputs, haltMaxSteps: number, bySegments: boolean): EvalReport {
  const report: EvalReport = {
    checkpoint: source.checkpoint,
    data: source.data,
    ...(source.step !== undefined ? { step: source.step } : {}),
    metrics: out.metrics,
    learned_halting_segments: out.halting.mean_segments,
  };
  const arc = isArcDataset(data);
  const ratings = data.ratings && !arc ? data.ratings.subarray(0, out.exact.length) : undefined;
  if (ratings) {
    const halts = bucketMeans(ratings, out.halting.segments);
    report.sudoku = { buckets: difficultyBuckets(ratings, out.exact).map((b, i) => ({ ...b, mean_halt_segments: halts[i]!.mean })) };
  }
  if (bySegments) report.segments = segmentsReport(out, haltMaxSteps, ratings);
  if (arc) report.arc = arcReport(data, out);
  return report;
}
