import { Rng, memory, parseSafetensors, serializeSafetensors, setBackend } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateBatch, type SegmentPrediction } from './evaluate.js';
import { hostCopy, randomBatch, randomizeZeroInits, tinyConfig } from './model/fixtures.testing.js';
import { HRM } from './model/hrm.js';
import { segmentTraceEntries, traceSegments, traceTrainGradients } from './trace.js';

beforeAll(async () => {
  await setBackend('cpu');
});

function argmaxRows(logits: Float32Array | Float64Array, vocab: number): number[] {
  return Array.from({ length: logits.length / vocab }, (_, r) => {
    const row = Array.from(logits.subarray(r * vocab, (r + 1) * vocab));
    return row.indexOf(Math.max(...row));
  });
}

describe('traceSegments and evaluateBatch', () => {
  it('record every evaluation segment; a slot restarts from scratch after halt_max_steps', async () => {
    const config = tinyConfig({ halt_max_steps: 3 });
    const model = new HRM(config, { seed: 1 });
    randomizeZeroInits(model, 2);
    const batch = randomBatch(config, 3, 4);
    const before = memory().tensors;
    const trace = await traceSegments(model, batch, 4);
    expect(trace).toHaveLength(4);
    expect(trace[0]!.logits.shape).toEqual([3, 6, 5]);
    expect(trace[0]!.qHaltLogits.shape).toEqual([3]);
    expect([...trace[3]!.logits.data]).toEqual([...trace[0]!.logits.data]);
    expect([...trace[1]!.logits.data]).not.toEqual([...trace[0]!.logits.data]);
    const file = parseSafetensors(serializeSafetensors(segmentTraceEntries(trace)));
    expect(file.get('segments.3.q_continue_logits')!.shape).toEqual([3]);
    expect(file.get('segments.1.logits')!.data).toEqual(trace[1]!.logits.data);

    const seen: SegmentPrediction[] = [];
    const result = await evaluateBatch(model, batch, { onSegment: (s) => seen.push(s) });
    expect(seen.map((s) => s.segment)).toEqual([0, 1, 2]);
    seen.forEach((s, i) => expect([...s.predictions]).toEqual(argmaxRows(trace[i]!.logits.data, 5)));
    expect([...result.qHaltLogits]).toEqual([...trace[2]!.qHaltLogits.data]);
    expect(result.metrics.count).toBe(3);
    expect(result.metrics.steps).toBe(9);
    expect(memory().tensors).toBe(before);
    model.dispose();
  });
});

describe('traceTrainGradients', () => {
  it('returns the loss and a finite, non-zero gradient for every parameter and the puzzle rows, leaving the model as it was', async () => {
    const config = tinyConfig();
    const model = new HRM(config, { seed: 1 });
    const weights = await hostCopy(model.stateDict(''));
    const batch = randomBatch(config, 3, 4);
    const before = memory().tensors;
    const t = await traceTrainGradients(model, batch, { rng: new Rng(1) });
    expect(memory().tensors).toBe(before);
    expect([...t.gradients.keys()]).toEqual([...model.parameters.keys(), 'puzzle_emb.local_weights']);
    expect(t.gradients.get('puzzle_emb.local_weights')!.shape).toEqual([3, 16]);
    for (const [key, g] of t.gradients) {
      expect(g.data.every(Number.isFinite), key).toBe(true);
      expect(
        g.data.some((v) => v !== 0),
        key,
      ).toBe(true);
    }
    expect(t.lossDivisor).toBe(3);
    expect(t.loss).toBeCloseTo(t.metrics.lm_loss + 0.5 * (t.metrics.q_halt_loss + t.metrics.q_continue_loss!), 4);
    expect([...model.parameters.values()].every((p) => p.grad === null)).toBe(true);
    const after = await hostCopy(model.stateDict(''));
    expect([...weights].every(([k, v]) => v.every((e, i) => e === after.get(k)![i]))).toBe(true);
    // The same batch gives the same gradients whatever the exploration draws.
    const again = await traceTrainGradients(model, batch, { rng: new Rng(99) });
    expect([...again.gradients.get('lm_head.weight')!.data]).toEqual([...t.gradients.get('lm_head.weight')!.data]);
    model.dispose();
  });
});
