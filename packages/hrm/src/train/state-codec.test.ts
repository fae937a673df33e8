import { setBackend, tensor, Tensor } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeState, encodeState } from './state-codec.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('state codec', () => {
  it('round-trips nested tensors, typed arrays and plain values exactly', async () => {
    const state = {
      step: 7,
      name: 'x',
      flags: [true, false],
      rng: [1, 2, 3, 4],
      carry: {
        batchSize: 2,
        z: tensor(Float32Array.of(0.1, -2.5e-8, 3, 4), { shape: [2, 2] }),
        halted: tensor(Uint8Array.of(1, 0), { dtype: 'bool' }),
        steps: tensor(Int32Array.of(3, -1)),
      },
      order: Int32Array.of(5, 6),
      missing: undefined,
    };
    const { entries, skeleton } = await encodeState(state, 'state');
    expect(Object.keys(entries).sort()).toEqual(['state.carry.halted', 'state.carry.steps', 'state.carry.z', 'state.order']);
    const back = decodeState(JSON.parse(JSON.stringify(skeleton)), new Map(Object.entries(entries))) as typeof state;
    expect(back.step).toBe(7);
    expect(back.flags).toEqual([true, false]);
    expect(back.rng).toEqual([1, 2, 3, 4]);
    expect(back.order).toEqual(Int32Array.of(5, 6));
    expect(back.carry.batchSize).toBe(2);
    for (const key of ['z', 'halted', 'steps'] as const) {
      const t = back.carry[key];
      expect(t).toBeInstanceOf(Tensor);
      expect(t.dtype).toBe(state.carry[key].dtype);
      expect(t.shape).toEqual(state.carry[key].shape);
      expect(await t.data()).toEqual(await state.carry[key].data());
    }
    expect('missing' in back).toBe(false);
  });

  it('names a tensor the file lacks', () => {
    expect(() => decodeState({ $object: { a: { $tensor: 'state.a', dtype: 'f32' } } }, new Map())).toThrow(
      /training checkpoint: state state.a: lacks tensor 'state.a'/,
    );
  });
});
