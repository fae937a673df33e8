import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';
import { hostIO } from '../../testing/compare.js';
import { seedArb, seeded, smallSize } from '../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

describe('cpu memory', () => {
  it('counts bytes on alloc and free, and rejects use after free and double free', async () => {
    const b = createCpuBackend();
    const s = b.alloc('f64', 3);
    const t = b.fill('bool', 5, 1);
    expect(b.bytesAllocated()).toBe(29);
    expect(Array.from(await b.read(t))).toEqual([1, 1, 1, 1, 1]);
    b.free(s);
    expect(b.bytesAllocated()).toBe(5);
    await expect(b.read(s)).rejects.toThrow(/cpu\.read: storage was already freed/);
    expect(() => b.unary('neg', s)).toThrow(/cpu\.unary\(neg\): x was already freed/);
    expect(() => b.free(s)).toThrow(/cpu\.free: storage was already freed/);
  });

  it('writes only matching dtype and length, and reads back a copy', async () => {
    const s = backend.alloc('f32', 2);
    expect(() => backend.write(s, new Float64Array(2))).toThrow(/cpu\.write: expected data of dtype f32, found f64/);
    expect(() => backend.write(s, new Float32Array(3))).toThrow(/cpu\.write: expected data to have 2 elements, found 3/);
    backend.write(s, new Float32Array([1.5, 2]));
    const r = await backend.read(s);
    r[0] = 9;
    expect(await values(s)).toEqual([1.5, 2]);
  });

  it('fills and casts with truncation, saturation and 0/1 booleans', async () => {
    expect(await values(backend.fill('i32', 2, -2.7))).toEqual([-2, -2]);
    expect(await values(backend.fill('f32', 1, 0.1))).toEqual([Math.fround(0.1)]);
    const x = store('f64', [-1.5, 0, 2.9, NaN, 1e12, -1e12]);
    expect(await values(backend.cast(x, 'i32'))).toEqual([-1, 0, 2, 0, 2147483647, -2147483648]);
    expect(await values(backend.cast(x, 'bool'))).toEqual([1, 0, 1, 1, 1, 1]);
    expect(await values(backend.cast(store('bool', [1, 0]), 'f32'))).toEqual([1, 0]);
    expect(await values(backend.cast(store('i32', [7, -3]), 'f64'))).toEqual([7, -3]);
  });

  it('stridedCopy materialises permutes, slices and broadcasts like index arithmetic', async () => {
    await fc.assert(
      fc.asyncProperty(smallSize, smallSize, smallSize, seedArb, async (d0, d1, d2, seed) => {
        const x = seeded(seed, d0 * d1 * d2);
        const s = store('f64', x);
        // Permute [d0, d1, d2] -> [d2, d0, d1].
        const perm = await values(backend.stridedCopy(s, { shape: [d2, d0, d1], strides: [1, d1 * d2, d2], offset: 0 }));
        const ref: number[] = [];
        for (let k = 0; k < d2; k++) for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) ref.push(x[(i * d1 + j) * d2 + k]!);
        expect(perm).toEqual(ref);
        // Slice the last row of dim 0 and broadcast it twice along a new leading dim.
        const bc = await values(backend.stridedCopy(s, { shape: [2, d1, d2], strides: [0, d2, 1], offset: (d0 - 1) * d1 * d2 }));
        const row = x.slice((d0 - 1) * d1 * d2);
        expect(bc).toEqual([...row, ...row]);
      }),
      { numRuns: 30 },
    );
  });

  it('stridedCopy follows negative strides (a flip)', async () => {
    expect(await values(backend.stridedCopy(store('i32', [1, 2, 3, 4, 5, 6]), { shape: [2, 3], strides: [3, -1], offset: 2 }))).toEqual([3, 2, 1, 6, 5, 4]);
  });

  it('stridedCopy handles scalars and rejects views that leave the storage', async () => {
    expect(await values(backend.stridedCopy(store('i32', [4, 5]), { shape: [], strides: [], offset: 1 }))).toEqual([5]);
    expect(() => backend.stridedCopy(store('i32', [4, 5]), { shape: [3], strides: [1], offset: 0 })).toThrow(/outside a storage of 2/);
  });

  it('copyRegion writes columns of every row in place', async () => {
    const dst = store('f32', new Array(8).fill(0));
    backend.copyRegion(store('f32', [1, 2, 3, 4]), dst, 2, 2, 4, 1);
    expect(await values(dst)).toEqual([0, 1, 2, 0, 0, 3, 4, 0]);
    expect(() => backend.copyRegion(store('f32', [1, 2, 3, 4]), dst, 2, 2, 4, 3)).toThrow(/exceed the destination row length/);
  });
});
