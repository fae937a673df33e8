import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../backend.js';
import { seedArb, seeded } from '../../testing/seeded.js';
import { createCpuBackend } from './index.js';
import { CpuStorage, recycle } from './storage.js';
import { setCpuSimd } from './wasm/features.js';

const backend = createCpuBackend();
const f32 = (values: number[]): Storage => new CpuStorage('f32', Float32Array.from(values));

/**
 * The kernels that take uninitialized output arrays must write every element: with the pool
 * holding NaN-filled arrays of every size they could reuse, they give what they give with an
 * empty pool.
 */
function poisonPool(sizes: number[]): void {
  for (const size of sizes) for (let i = 0; i < 3; i++) recycle(new Float32Array(size).fill(Number.NaN));
}

const read = (s: Storage) => Array.from((s as CpuStorage).data);

describe('cpu kernels with uninitialized outputs', () => {
  it('write every element, whatever a recycled array held', () => {
    fc.assert(
      // Sizes from 4 KiB up (smaller arrays are not pooled), not multiples of the kernels' tiles.
      fc.property(
        fc.integer({ min: 64, max: 130 }),
        fc.integer({ min: 16, max: 45 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        seedArb,
        (rows, cols, heads, simd, seed) => {
          setCpuSimd(simd);
          try {
            const x = f32(seeded(seed, rows * 2 * cols));
            const y = f32(seeded(seed + 1, rows * 2 * cols));
            const w = f32(seeded(seed + 2, 2 * cols * cols));
            const qkv = f32(seeded(seed + 3, rows * 3 * heads * 16));
            const runs: Array<() => Storage> = [
              () => backend.unary('exp', x),
              () => backend.binary('add', x, [rows, 2 * cols], y, [rows, 2 * cols], [rows, 2 * cols]),
              () => backend.binary('mul', x, [rows, 2 * cols], f32([2]), [1, 1], [rows, 2 * cols]),
              () => backend.cast(x, 'f32'),
              () => backend.stridedCopy(x, { shape: [2 * cols, rows], strides: [1, 2 * cols], offset: 0 }),
              () => backend.matmul(x, w, { batch: 1, m: rows, n: cols, k: 2 * cols, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }),
              () => backend.rmsNorm(x, rows, 2 * cols, 1e-5).y,
              () => backend.rmsNormBackward(y, x, backend.rmsNorm(x, rows, 2 * cols, 1e-5).invRms, rows, 2 * cols),
              () => backend.swiglu(x, rows, cols),
              () => backend.swigluBackward(x, f32(seeded(seed + 4, rows * cols)), rows, cols),
              () => backend.packedAttention(qkv, { batch: 1, seq: rows, heads, headDim: 16, scale: 0.25 }).o,
            ];
            for (const run of runs) {
              const expected = read(run());
              poisonPool([expected.length, rows * heads * 16, rows * 3 * heads * 16]);
              expect(read(run())).toEqual(expected);
            }
          } finally {
            setCpuSimd(null);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
