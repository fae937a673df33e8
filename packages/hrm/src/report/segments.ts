/**
 * Inference-time scaling report: accuracy against the number of segments run (one evaluation
 * pass, see evaluateDataset's segmentCounts) and where the learned halting would stop, overall
 * and, for rated data such as Sudoku, by difficulty bucket; as JSON and as an SVG chart.
 */
import type { EvalOutputs } from '../evaluate.js';
import { bucketMeans } from './difficulty.js';
import { lineChart, type LineSeries } from './svg.js';

export interface SegmentsReport {
  /** The segment counts evaluated, ascending; the arrays below hold one value per count. */
  segments: number[];
  exact_accuracy: number[];
  accuracy: number[];
  q_halt_accuracy: number[];
  /** Examples evaluated (with at least one labelled position). */
  count: number;
  /** The model's halt_max_steps (its plain evaluation). */
  halt_max_steps: number;
  learned_halting: {
    /** Mean first segment with q_halt > q_continue, capped at max_segments. */
    mean_segments: number;
    /** Exact accuracy when each example stops there. */
    exact_accuracy: number;
    max_segments: number;
  };
  /** Rated data: the same by difficulty bucket. */
  buckets?: {
    label: string;
    min: number;
    max: number;
    count: number;
    exact_accuracy: number[];
    mean_halt_segments: number;
    halting_exact_accuracy: number;
  }[];
}

export function segmentsReport(out: EvalOutputs, haltMaxSteps: number, ratings?: ArrayLike<number>): SegmentsReport {
  const { halting } = out;
  const report: SegmentsReport = {
    segments: out.curve.map((p) => p.metrics.steps),
    exact_accuracy: out.curve.map((p) => p.metrics.exact_accuracy),
    accuracy: out.curve.map((p) => p.metrics.accuracy),
    q_halt_accuracy: out.curve.map((p) => p.metrics.q_halt_accuracy),
    count: out.metrics.count,
    halt_max_steps: haltMaxSteps,
    learned_halting: { mean_segments: halting.mean_segments, exact_accuracy: halting.exact_accuracy, max_segments: halting.max_segments },
  };
  if (ratings) {
    const rated = ratings.length;
    const halts = bucketMeans(ratings, halting.segments.subarray(0, rated));
    const haltExact = bucketMeans(ratings, halting.exact.subarray(0, rated));
    const byCount = out.curve.map((p) => bucketMeans(ratings, p.exact.subarray(0, rated)));
    report.buckets = halts.map((b, i) => ({
      label: b.label,
      min: b.min,
      max: b.max,
      count: b.count,
      exact_accuracy: byCount.map((buckets) => buckets[i]!.mean),
      mean_halt_segments: b.mean,
      halting_exact_accuracy: haltExact[i]!.mean,
    }));
  }
  return report;
}

/** Exact accuracy against segments (token accuracy too; each difficulty bucket when rated), with the learned halting as one point. */
export function segmentsSvg(report: SegmentsReport, title = 'Accuracy against segments'): string {
  const line = (name: string, values: number[]): LineSeries => ({ name, points: report.segments.map((s, i): [number, number] => [s, values[i]!]) });
  const series: LineSeries[] = [line('exact accuracy', report.exact_accuracy), line('token accuracy', report.accuracy)];
  for (const b of report.buckets ?? []) series.push(line(`exact, rating ${b.label} (${b.count})`, b.exact_accuracy));
  const h = report.learned_halting;
  series.push({ name: `learned halting (mean ${h.mean_segments.toFixed(2)} segments)`, points: [[h.mean_segments, h.exact_accuracy]] });
  return lineChart({
    title: `${title} (trained with halt_max_steps ${report.halt_max_steps}; ${report.count} examples)`,
    xLabel: 'segments run (maximum)',
    yLabel: 'accuracy',
    series,
  });
}
