import { expand, gather, memory, noGrad, reshape, setBackend, tensor, tidy } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelSeqLen, officialSudokuConfig } from '../config.js';
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

describe('HRM forward', () => {
  for (const variant of [
    { name: 'rope, one prefix position', overrides: {} },
    { name: 'learned positions, two prefix positions (padded)', overrides: { pos_encodings: 'learned' as const, puzzle_emb_ndim: 20 } },
    { name: 'no puzzle embedding, 2 layers, 3x1 cycles', overrides: { puzzle_emb_ndim: 0, H_layers: 2, L_layers: 2, H_cycles: 3, L_cycles: 1 } },
  ]) {
    it(`matches a naive re-implementation of the spec (${variant.name})`, async () => {
      const config = tinyConfig(variant.overrides);
      const model = new HRM(config, { seed: 3, dtype: 'f64' });
      randomizeZeroInits(model, 11);
      const batch = randomBatch(config, 2, 5);
      const S = modelSeqLen(config);
      const P = await hostCopy([...model.parameters, ...model.buffers]);
      const init = (key: string) => Array.from({ length: 2 }, () => Float64Array.from({ length: S * config.hidden_size }, (_, i) => P.get(key)![i % config.hidden_size]!));
      const expected = referenceSegment(config, P, init('H_init'), init('L_init'), batch.inputs, batch.puzzleIdentifiers);

      const before = memory().tensors;
      const got = tidy(() =>
        noGrad(() => {
          const state = (key: string) => expand(reshape(model.buffer(key), [1, 1, config.hidden_size]), [2, S, config.hidden_size]);
          const zH = state('H_init');
          const zL = state('L_init');
          const table = model.puzzleEmbTable;
          const rows = table ? gather(table, tensor(batch.puzzleIdentifiers, { dtype: 'i32' }), 0) : null;
          const x = model.embed(tensor(batch.inputs, { shape: [2, config.seq_len], dtype: 'i32' }), rows);
          const out = runSegment(model, zH, zL, x, config.gradient);
          return [out.logits, out.qHaltLogits, out.qContinueLogits, out.zH];
        }),
      );
      const [logits, qHalt, qCont, zH] = await Promise.all(got.map((t) => t.data()));
      got.forEach((t) => t.dispose());
      expect(memory().tensors).toBe(before);
      expect(maxAbsDiff(logits!, expected.logits.flatMap((a) => [...a]))).toBeLessThan(1e-9);
      expect(maxAbsDiff(qHalt!, expected.qHalt)).toBeLessThan(1e-9);
      expect(maxAbsDiff(qCont!, expected.qContinue)).toBeLessThan(1e-9);
      expect(maxAbsDiff(zH!, expected.zH.flatMap((a) => [...a]))).toBeLessThan(1e-9);
      model.dispose();
    });
  }
});
