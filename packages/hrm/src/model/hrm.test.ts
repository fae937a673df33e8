import { expand, gather, memory, noGrad, reshape, setBackend, tensor, tidy } from '@hrm-webgpu/tensor';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HRMConfig, modelSeqLen, officialSudokuConfig } from '../config.js';
import { hostCopy, maxAbsDiff, randomBatch, randomizeZeroInits, tinyConfig } from './fixtures.testing.js';
import { HRM } from './hrm.js';
import { bufferSpecs, countTrainableParameters, parameterSpecs } from './params.js';
import { referenceSegment } from './reference-forward.testing.js';
import { runSegment } from './segment.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('HRM parameters', () => {
  it('counts 27,275,266 trainable parameters for the official Sudoku configuration', () => {
    // Counted from the same specs the constructor builds its tensors from (checked below on a tiny model).
    expect(countTrainableParameters(officialSudokuConfig())).toBe(27_275_266);
    const shapes = Object.fromEntries([...parameterSpecs(officialSudokuConfig())].map(([k, s]) => [k, s.shape]));
    expect(shapes['L_level.layers.3.self_attn.qkv_proj.weight']).toEqual([1536, 512]);
    expect(shapes['H_level.layers.0.mlp.gate_up_proj.weight']).toEqual([3072, 512]);
    expect(shapes['H_level.layers.0.mlp.down_proj.weight']).toEqual([512, 1536]);
    expect(shapes['q_head.bias']).toEqual([2]);
    expect(shapes['H_level.layers.4.self_attn.o_proj.weight']).toBeUndefined();
  });

  it('builds exactly the specified tensors, with the official keys', () => {
    for (const pos of ['rope', 'learned'] as const) {
      const config = tinyConfig({ pos_encodings: pos });
      const model = new HRM(config, { seed: 1 });
      const specShapes = (specs: ReturnType<typeof parameterSpecs>) => [...specs].map(([k, s]) => [k, s.shape]);
      expect([...model.parameters].map(([k, t]) => [k, t.shape])).toEqual(specShapes(parameterSpecs(config)));
      expect([...model.buffers].map(([k, t]) => [k, t.shape])).toEqual(specShapes(bufferSpecs(config)));
      expect([...model.parameters.values()].reduce((s, t) => s + t.size, 0)).toBe(model.trainableParameterCount());
      expect(model.parameters.has('embed_pos.embedding_weight')).toBe(pos === 'learned');
      expect([...model.buffers.keys()]).toEqual(['H_init', 'L_init', 'puzzle_emb.weights']);
      expect(model.trainableParameters().every((p) => p.requiresGrad)).toBe(true);
      expect([...model.buffers.values()].some((b) => b.requiresGrad)).toBe(false);
      model.dispose();
    }
  });

  it('initialises as the reference: zero Q weight, bias -5, zero puzzle table, truncated normals', async () => {
    const config = tinyConfig({ hidden_size: 64, num_heads: 4, puzzle_emb_ndim: 64 });
    const model = new HRM(config, { seed: 7 });
    const host = await hostCopy([...model.parameters, ...model.buffers]);
    expect([...host.get('q_head.weight')!].every((v) => v === 0)).toBe(true);
    expect([...host.get('q_head.bias')!]).toEqual([-5, -5]);
    expect([...host.get('puzzle_emb.weights')!].every((v) => v === 0)).toBe(true);
    const std = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    const qkv = host.get('L_level.layers.0.self_attn.qkv_proj.weight')!;
    expect(std(qkv)).toBeCloseTo(1 / 8, 2); // 1/sqrt(fan_in 64)
    expect(Math.max(...qkv.map(Math.abs))).toBeLessThanOrEqual((2 * 1.1368472) / 8 + 1e-6); // +-2 corrected std
    expect(std(host.get('embed_tokens.embedding_weight')!)).toBeGreaterThan(0.08);
    expect(std(host.get('H_init')!)).toBeGreaterThan(0.6);
    model.dispose();
  });
});

/** Runs one segment from H_init/L_init in f64 and returns the largest deviation from the naive reference. */
async function deviationFromReference(config: HRMConfig, seed: number, batchSize = 2): Promise<number> {
  const model = new HRM(config, { seed, dtype: 'f64' });
  randomizeZeroInits(model, seed + 1);
  const batch = randomBatch(config, batchSize, seed + 2);
  const S = modelSeqLen(config);
  const H = config.hidden_size;
  const P = await hostCopy([...model.parameters, ...model.buffers]);
  const init = (key: string) => Array.from({ length: batchSize }, () => Float64Array.from({ length: S * H }, (_, i) => P.get(key)![i % H]!));
  const expected = referenceSegment(config, P, init('H_init'), init('L_init'), batch.inputs, batch.puzzleIdentifiers);

  const before = memory().tensors;
  const got = tidy(() =>
    noGrad(() => {
      const state = (key: string) => expand(reshape(model.buffer(key), [1, 1, H]), [batchSize, S, H]);
      const table = model.puzzleEmbTable;
      const rows = table ? gather(table, tensor(batch.puzzleIdentifiers, { dtype: 'i32' }), 0) : null;
      const x = model.embed(tensor(batch.inputs, { shape: [batchSize, config.seq_len], dtype: 'i32' }), rows);
      const out = runSegment(model, state('H_init'), state('L_init'), x, config.gradient);
      return [out.logits, out.qHaltLogits, out.qContinueLogits, out.zH];
    }),
  );
  const [logits, qHalt, qCont, zH] = await Promise.all(got.map((t) => t.data()));
  got.forEach((t) => t.dispose());
  expect(memory().tensors).toBe(before);
  model.dispose();
  return Math.max(
    maxAbsDiff(
      logits!,
      expected.logits.flatMap((a) => [...a]),
    ),
    maxAbsDiff(qHalt!, expected.qHalt),
    maxAbsDiff(qCont!, expected.qContinue),
    maxAbsDiff(
      zH!,
      expected.zH.flatMap((a) => [...a]),
    ),
  );
}

describe('HRM forward', () => {
  for (const variant of [
    { name: 'rope, one prefix position', overrides: {} },
    { name: 'learned positions, two prefix positions (padded)', overrides: { pos_encodings: 'learned' as const, puzzle_emb_ndim: 20 } },
    { name: 'no puzzle embedding, 2 layers, 3x1 cycles', overrides: { puzzle_emb_ndim: 0, H_layers: 2, L_layers: 2, H_cycles: 3, L_cycles: 1 } },
  ]) {
    it(`matches a naive re-implementation of the spec (${variant.name})`, async () => {
      expect(await deviationFromReference(tinyConfig(variant.overrides), 3)).toBeLessThan(1e-9);
    });
  }

  it('matches the naive re-implementation on random small configurations', async () => {
    const configs = fc.record({
      hidden: fc.constantFrom(8, 12),
      heads: fc.constantFrom(1, 2),
      seq_len: fc.integer({ min: 1, max: 5 }),
      puzzle_emb_ndim: fc.constantFrom(0, 5, 12, 20),
      H_cycles: fc.integer({ min: 1, max: 3 }),
      L_cycles: fc.integer({ min: 1, max: 2 }),
      H_layers: fc.integer({ min: 1, max: 2 }),
      L_layers: fc.integer({ min: 1, max: 2 }),
      pos_encodings: fc.constantFrom('rope' as const, 'learned' as const),
      expansion: fc.constantFrom(1, 2.5),
      seed: fc.integer({ min: 0, max: 1000 }),
    });
    await fc.assert(
      fc.asyncProperty(configs, async ({ hidden, heads, seed, ...rest }) => {
        const config = tinyConfig({ ...rest, hidden_size: hidden, num_heads: heads });
        expect(await deviationFromReference(config, seed, 1 + (seed % 2))).toBeLessThan(1e-9);
      }),
      { numRuns: 8, seed: 17 },
    );
  });
});
