import { describe, expect, it } from 'vitest';
import type { PuzzleDataset } from '../data/dataset.js';
import type { EvalMetrics, EvalOutputs } from '../evaluate.js';
import { evalReport, isArcDataset } from './eval-report.js';

const METRICS: EvalMetrics = { accuracy: 0.75, exact_accuracy: 0.5, q_halt_accuracy: 0.25, steps: 3, count: 4 };

/** Four evaluated examples of a 4-cell dataset; `ratings` may cover more examples than were evaluated (--limit). */
function sudokuLike(ratings?: number[]): PuzzleDataset {
  const examples = ratings?.length ?? 4;
  return {
    metadata: {
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      vocab_size: 6,
      seq_len: 4,
      num_puzzle_identifiers: 1,
      total_groups: examples,
      mean_puzzle_examples: 1,
      sets: ['all'],
    },
    inputs: new Int32Array(examples * 4),
    labels: new Int32Array(examples * 4),
    puzzleIdentifiers: new Int32Array(examples),
    puzzleIndices: Int32Array.from({ length: examples + 1 }, (_, i) => i),
    groupIndices: Int32Array.from({ length: examples + 1 }, (_, i) => i),
    ...(ratings ? { ratings: Int32Array.from(ratings) } : {}),
  };
}

const outputs: EvalOutputs = {
  metrics: METRICS,
  exact: Uint8Array.of(1, 0, 1, 0),
  predictions: new Int32Array(16),
  qHalt: new Float32Array(4),
  curve: [{ metrics: METRICS, exact: Uint8Array.of(1, 0, 1, 0) }],
  halting: { segments: Int32Array.of(1, 3, 2, 2), exact: Uint8Array.of(1, 0, 1, 0), mean_segments: 2, exact_accuracy: 0.5, max_segments: 3 },
};

describe('evalReport', () => {
  it('holds the source, the metrics and the learned halting, and nothing else without ratings or --segments', () => {
    const report = evalReport({ checkpoint: 'c.safetensors', data: 'd', step: 7 }, sudokuLike(), outputs, 3, false);
    expect(report).toEqual({ checkpoint: 'c.safetensors', data: 'd', step: 7, metrics: METRICS, learned_halting_segments: 2 });
    expect(Object.keys(report)).toEqual(['checkpoint', 'data', 'step', 'metrics', 'learned_halting_segments']);
  });

  it('buckets exact accuracy and the learned halting by rating, over the evaluated examples only', () => {
    // The fifth rating belongs to an example past the limit: it must not create the 10-99 bucket.
    const report = evalReport({ checkpoint: 'c', data: 'd' }, sudokuLike([0, 0, 5, 150, 50]), outputs, 3, false);
    expect(report.step).toBeUndefined();
    expect(report.sudoku?.buckets).toEqual([
      { label: '0', min: 0, max: 0, count: 2, exact_accuracy: 0.5, mean_halt_segments: 2 },
      { label: '3-9', min: 3, max: 9, count: 1, exact_accuracy: 1, mean_halt_segments: 2 },
      { label: '100+', min: 100, max: Infinity, count: 1, exact_accuracy: 0, mean_halt_segments: 2 },
    ]);
    expect(report.segments).toBeUndefined();
    expect(report.arc).toBeUndefined();
  });

  it('adds the accuracy against segments when the evaluation ran with segment counts', () => {
    const report = evalReport({ checkpoint: 'c', data: 'd' }, sudokuLike(), outputs, 3, true);
    expect(report.segments).toMatchObject({ segments: [3], exact_accuracy: [0.5], halt_max_steps: 3, count: 4 });
    expect(report.segments?.buckets).toBeUndefined();
    expect(Object.keys(report)).toEqual(['checkpoint', 'data', 'metrics', 'learned_halting_segments', 'segments']);
  });
});

describe('isArcDataset', () => {
  it('is true only for 30x30 grids over 12 tokens with named puzzles', () => {
    const arc = sudokuLike();
    arc.metadata = { ...arc.metadata, vocab_size: 12, seq_len: 900 };
    expect(isArcDataset(arc)).toBe(false);
    arc.identifiers = ['<blank>', 'task'];
    expect(isArcDataset(arc)).toBe(true);
    expect(isArcDataset({ ...arc, metadata: { ...arc.metadata, vocab_size: 11 } })).toBe(false);
  });
});
