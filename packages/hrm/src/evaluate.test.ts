import { Rng, memory, setBackend } from '@hrm-webgpu/tensor';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HRMConfig } from './config.js';
import { IGNORE_LABEL_ID, type PuzzleDataset } from './data/dataset.js';
import { evaluateBatch, evaluateDataset } from './evaluate.js';
import { randomizeZeroInits, tinyConfig } from './model/fixtures.testing.js';
import { HRM } from './model/hrm.js';
import { segmentsReport, segmentsSvg } from './report/segments.js';
import { traceSegments } from './trace.js';

beforeAll(async () => {
  await setBackend('cpu');
});

/**
 * `count` examples, one puzzle each, with one or two labelled positions per row (so that a random
 * model gets some rows entirely right and the exact accuracy moves between segments), and a row
 * without labels (not counted).
 */
function fixtureDataset(config: HRMConfig, count: number, seed: number): PuzzleDataset {
  const rng = new Rng(seed);
  const s = config.seq_len;
  const inputs = Int32Array.from({ length: count * s }, () => rng.int(1, config.vocab_size - 1));
  const labels = new Int32Array(count * s).fill(IGNORE_LABEL_ID);
  for (let e = 0; e < count - 1; e++) {
    for (let k = 0; k < 1 + (e % 2); k++) labels[e * s + rng.int(0, s - 1)] = rng.int(0, config.vocab_size - 1);
  }
  return {
    metadata: {
      pad_id: 0,
      ignore_label_id: 0,
      blank_identifier_id: 0,
      vocab_size: config.vocab_size,
      seq_len: s,
      num_puzzle_identifiers: config.num_puzzle_identifiers,
      total_groups: count,
      mean_puzzle_examples: 1,
      sets: ['all'],
    },
    inputs,
    labels,
    puzzleIdentifiers: Int32Array.from({ length: count }, () => rng.int(0, config.num_puzzle_identifiers - 1)),
    puzzleIndices: Int32Array.from({ length: count + 1 }, (_, i) => i),
    groupIndices: Int32Array.from({ length: count + 1 }, (_, i) => i),
    ratings: Int32Array.from({ length: count }, (_, i) => [0, 2, 5, 50][i % 4]!),
  };
}

function fixtureModel(overrides: Partial<HRMConfig>, seed: number): HRM {
  const model = new HRM(tinyConfig({ pos_encodings: 'learned', vocab_size: 3, ...overrides }), { seed });
  randomizeZeroInits(model, seed + 10);
  return model;
}

/** The same weights under another halt_max_steps. */
function withHaltMax(model: HRM, haltMax: number): HRM {
  const copy = new HRM({ ...model.config, halt_max_steps: haltMax });
  copy.loadStateDict(model.stateDict(''));
  return copy;
}

describe('evaluateDataset over several segment counts', () => {
  it("ends its curve at halt_max_steps with the plain evaluation's figures, and frees every tensor", async () => {
    const model = fixtureModel({ halt_max_steps: 3 }, 1);
    const data = fixtureDataset(model.config, 23, 2);
    const before = memory().tensors;
    const plain = await evaluateDataset(model, data, { batchSize: 5 });
    const scaled = await evaluateDataset(model, data, { batchSize: 5, segmentCounts: [3, 1, 2] });
    expect(memory().tensors).toBe(before);
    expect(scaled.curve.map((p) => p.metrics.steps)).toEqual([1, 2, 3]);
    expect(scaled.curve.at(-1)!.metrics).toEqual(plain.metrics);
    expect(scaled.metrics).toEqual(plain.metrics);
    expect([...scaled.predictions]).toEqual([...plain.predictions]);
    expect(plain.metrics.count).toBe(22);
    // The fixture is not degenerate: some rows right, some wrong, and the figure moves with segments.
    const exact = scaled.curve.map((p) => p.metrics.exact_accuracy);
    expect(Math.min(...exact)).toBeGreaterThan(0);
    expect(Math.max(...exact)).toBeLessThan(1);
    expect(new Set(exact).size).toBeGreaterThan(1);
    model.dispose();
  });

  it('records after each count what a separate evaluation with that halt_max_steps finds (past the trained one too)', async () => {
    const model = fixtureModel({ halt_max_steps: 2 }, 3);
    const data = fixtureDataset(model.config, 9, 4);
    const separate = new Map<number, Awaited<ReturnType<typeof evaluateDataset>>>();
    for (let k = 1; k <= 5; k++) {
      const m = withHaltMax(model, k);
      separate.set(k, await evaluateDataset(m, data, { batchSize: 4 }));
      m.dispose();
    }
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 9 }),
        async (counts, batchSize) => {
          const out = await evaluateDataset(model, data, { batchSize, segmentCounts: counts });
          const sorted = [...counts].sort((a, b) => a - b);
          expect(out.curve.map((p) => p.metrics.steps)).toEqual(sorted);
          sorted.forEach((k, i) => {
            expect(out.curve[i]!.metrics).toEqual(separate.get(k)!.metrics);
            expect([...out.curve[i]!.exact]).toEqual([...separate.get(k)!.exact]);
          });
          expect(out.metrics).toEqual(separate.get(2)!.metrics);
        },
      ),
      { numRuns: 6 },
    );
    model.dispose();
  });

  it('finds where the learned halting stops: the first segment with q_halt > q_continue, capped', async () => {
    const model = fixtureModel({ halt_max_steps: 4 }, 5);
    const data = fixtureDataset(model.config, 7, 6);
    const out = await evaluateDataset(model, data, { batchSize: 7 });
    const trace = await traceSegments(
      model,
      { size: 7, seqLen: model.config.seq_len, inputs: data.inputs, labels: data.labels, puzzleIdentifiers: data.puzzleIdentifiers },
      4,
    );
    const expected = Array.from({ length: 6 }, (_, r) => {
      const at = trace.findIndex((t) => t.qHaltLogits.data[r]! > t.qContinueLogits.data[r]!);
      return at < 0 ? 4 : at + 1;
    });
    expect([...out.halting.segments.subarray(0, 6)]).toEqual(expected);
    expect(out.halting.max_segments).toBe(4);
    expect(out.halting.mean_segments).toBeCloseTo(expected.reduce((a, b) => a + b, 0) / 6, 12);
    // The fixture's q head halts some rows early and leaves others to the cap.
    expect(new Set(expected).size).toBeGreaterThan(1);
    model.dispose();
  });

  it('evaluateBatch runs past halt_max_steps on the same states rather than restarting', async () => {
    const model = fixtureModel({ halt_max_steps: 2 }, 7);
    const data = fixtureDataset(model.config, 4, 8);
    const batch = { size: 4, seqLen: model.config.seq_len, inputs: data.inputs, labels: data.labels, puzzleIdentifiers: data.puzzleIdentifiers };
    const longer = withHaltMax(model, 4);
    const seen: number[][] = [];
    const result = await evaluateBatch(model, batch, { segmentCounts: [4], onSegment: (s) => seen.push([...s.qHaltLogits]) });
    const trace = await traceSegments(longer, batch, 4);
    expect(seen).toEqual(trace.map((t) => [...t.qHaltLogits.data]));
    expect(result.metrics.steps).toBe(4 * 3);
    longer.dispose();
    model.dispose();
  });
});

describe('segments report', () => {
  it('carries the curve, the learned halting and the difficulty buckets into JSON and an SVG', async () => {
    const model = fixtureModel({ halt_max_steps: 2 }, 9);
    const data = fixtureDataset(model.config, 16, 10);
    const out = await evaluateDataset(model, data, { batchSize: 16, segmentCounts: [1, 2, 3] });
    const report = segmentsReport(out, 2, data.ratings);
    expect(report.segments).toEqual([1, 2, 3]);
    expect(report.exact_accuracy).toEqual(out.curve.map((p) => p.metrics.exact_accuracy));
    expect(report.buckets!.map((b) => b.label)).toEqual(['0', '1-2', '3-9', '10-99']);
    expect(report.buckets!.reduce((n, b) => n + b.count, 0)).toBe(16);
    const zero = report.buckets![0]!;
    const rows = [0, 4, 8, 12];
    expect(zero.exact_accuracy[2]).toBeCloseTo(rows.reduce((s, e) => s + out.curve[2]!.exact[e]!, 0) / 4, 12);
    expect(zero.mean_halt_segments).toBeCloseTo(rows.reduce((s, e) => s + out.halting.segments[e]!, 0) / 4, 12);
    const svg = segmentsSvg(report);
    expect(svg).toContain('learned halting');
    expect(svg).toContain('rating 10-99');
    expect(svg.match(/<polyline/g)!.length).toBeGreaterThanOrEqual(6);
    model.dispose();
  });
});
