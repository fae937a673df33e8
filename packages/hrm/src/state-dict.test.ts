import { parseSafetensors, serializeSafetensors, setBackend } from '@hrm-webgpu/tensor';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostCopy, randomizeZeroInits, tinyConfig } from './model/fixtures.testing.js';
import { HRM } from './model/hrm.js';
import { OFFICIAL_PREFIXES, type HostTensor } from './state-dict.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const models: HRM[] = [];
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
});

function model(seed: number, overrides = {}): HRM {
  const m = new HRM(tinyConfig(overrides), { seed });
  models.push(m);
  return m;
}

async function hostEntries(m: HRM, prefix: string): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [k, t] of m.stateDict(prefix)) out.set(k, { dtype: 'f32', shape: [...t.shape], data: (await t.data()) as Float32Array });
  return out;
}

async function sameWeights(a: HRM, b: HRM): Promise<boolean> {
  const [x, y] = await Promise.all([hostCopy(a.stateDict('')), hostCopy(b.stateDict(''))]);
  return [...x].every(([k, v]) => v.every((e, i) => e === y.get(k)![i]));
}

describe('state dict', () => {
  it('uses the official keys with the model.inner. prefix by default', () => {
    const keys = [...model(1).stateDict().keys()];
    expect(keys).toContain('model.inner.H_init');
    expect(keys).toContain('model.inner.puzzle_emb.weights');
    expect(keys).toContain('model.inner.L_level.layers.0.self_attn.qkv_proj.weight');
    expect(keys).toContain('model.inner.q_head.bias');
    expect(keys.every((k) => k.startsWith('model.inner.'))).toBe(true);
  });

  for (const prefix of [...OFFICIAL_PREFIXES, '']) {
    it(`round-trips under the prefix "${prefix}"`, async () => {
      const a = model(1);
      randomizeZeroInits(a, 3);
      const b = new HRM(a.config, { init: 'zeros' });
      models.push(b);
      expect(await sameWeights(a, b)).toBe(false);
      b.loadStateDict(await hostEntries(a, prefix), { source: 'test' });
      expect(await sameWeights(a, b)).toBe(true);
    });
  }

  it('loads tensors directly and through safetensors bytes, bf16 entries widened', async () => {
    const a = model(1);
    randomizeZeroInits(a, 4);
    const b = model(2);
    b.loadStateDict(a.stateDict());
    expect(await sameWeights(a, b)).toBe(true);

    const entries = await hostEntries(a, '_orig_mod.model.inner.');
    const initKeys = ['_orig_mod.model.inner.H_init', '_orig_mod.model.inner.L_init'];
    const f32 = Object.fromEntries([...entries].filter(([k]) => !initKeys.includes(k)).map(([k, v]) => [k, { ...v, shape: [...v.shape] }]));
    const loaded = new Map<string, HostTensor>(parseSafetensors(serializeSafetensors(f32 as never), 'f32 part'));
    const bf16 = parseSafetensors(bf16File(initKeys.map((k) => [k, entries.get(k)!.data as Float32Array])), 'bf16 part');
    for (const [k, v] of bf16) loaded.set(k, v);
    const c = model(3);
    c.loadStateDict(loaded, { source: 'official checkpoint' });
    const hInit = Float32Array.from(await c.buffer('H_init').data());
    const expected = (entries.get(initKeys[0]!)!.data as Float32Array).map((v) => bf16Round(v));
    expect([...hInit]).toEqual([...expected]);
    expect(await sameWeights(a, c)).toBe(false); // H_init/L_init lost precision...
    const params = await Promise.all([hostCopy(a.parameters), hostCopy(c.parameters)]);
    expect([...params[0]].every(([k, v]) => v.every((e, i) => e === params[1].get(k)![i]))).toBe(true); // ...the rest is exact
  });

  it('reports missing, unexpected and mis-shaped keys by name, and writes nothing', async () => {
    const a = model(1);
    const b = model(2);
    const before = await hostCopy(b.stateDict(''));
    const entries = await hostEntries(a, 'model.inner.');
    entries.delete('model.inner.L_init');
    entries.set('model.inner.extra.weight', { dtype: 'f32', shape: [1], data: new Float32Array(1) });
    const qkv = entries.get('model.inner.H_level.layers.0.self_attn.qkv_proj.weight')!;
    entries.set('model.inner.H_level.layers.0.self_attn.qkv_proj.weight', { ...qkv, shape: [24, 32], data: qkv.data });
    let message = '';
    try {
      b.loadStateDict(entries, { source: 'ckpt.safetensors' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^ckpt\.safetensors: /);
    expect(message).toMatch(/missing key\(s\): L_init/);
    expect(message).toMatch(/unexpected key\(s\): model\.inner\.extra\.weight/);
    expect(message).toMatch(/key "H_level\.layers\.0\.self_attn\.qkv_proj\.weight": shape expected \[48, 16\], found \[24, 32\]/);
    const after = await hostCopy(b.stateDict(''));
    expect([...before].every(([k, v]) => v.every((e, i) => e === after.get(k)![i]))).toBe(true);
  });

  it('refuses integer tensors and a checkpoint of another configuration', async () => {
    const a = model(1);
    const entries = await hostEntries(a, '');
    entries.set('H_init', { dtype: 'i32', shape: [16], data: new Int32Array(16) });
    expect(() => model(2).loadStateDict(entries)).toThrow(/key "H_init": dtype expected a float .*found i32/);
    const other = await hostEntries(model(3, { vocab_size: 7, num_puzzle_identifiers: 5 }), 'model.inner.');
    const load = () => model(4).loadStateDict(other, { source: 'step_100' });
    expect(load).toThrow(/^step_100: .*key "embed_tokens\.embedding_weight": shape expected \[5, 16\], found \[7, 16\]/);
    expect(load).toThrow(/key "puzzle_emb\.weights": shape expected \[3, 16\], found \[5, 16\]/);
  });
});

function bf16Round(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer);
  u[0] = u[0]! & 0xffff0000;
  return f[0]!;
}

/** A safetensors file with BF16 tensors (truncated from f32), as the official checkpoints store H_init/L_init. */
function bf16File(tensors: [string, Float32Array][]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, data] of tensors) {
    header[name] = { dtype: 'BF16', shape: [data.length], data_offsets: [offset, offset + 2 * data.length] };
    offset += 2 * data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(new TextEncoder().encode(json), 8);
  let pos = 8 + json.length;
  for (const [, data] of tensors) {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (const b of bits) {
      view.setUint16(pos, b >>> 16, true);
      pos += 2;
    }
  }
  return out;
}
