import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MatmulParams } from '../../backend.js';
import { setCpuSimd, simdSupported } from './wasm/features.js';
import { createCpuBackend } from './index.js';
import { expectClose, hostIO } from '../../testing/compare.js';
import { awkwardSize, floatDtype, seedArb, seeded } from '../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

/** Obviously-correct triple loop, reading A and B through their stored layouts. */
function naiveMatmul(a: number[], b: number[], p: MatmulParams): number[] {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = p;
  const out: number[] = [];
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          const av = a[bi * aBatchStride + (transA ? t * m + i : i * k + t)];
          const bv = b[bi * bBatchStride + (transB ? j * k + t : t * n + j)];
          s += av! * bv!;
        }
        out.push(s);
      }
    }
  }
  return out;
}

const params = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  m: awkwardSize,
  n: awkwardSize,
  k: awkwardSize,
  transA: fc.boolean(),
  transB: fc.boolean(),
  broadcastA: fc.boolean(),
  broadcastB: fc.boolean(),
});

describe('cpu matmul', () => {
  it('matches the naive triple loop on awkward shapes, transposes and broadcast batches', async () => {
    await fc.assert(
      fc.asyncProperty(params, floatDtype, seedArb, async (q, dtype, seed) => {
        const p: MatmulParams = { ...q, aBatchStride: q.broadcastA ? 0 : q.m * q.k, bBatchStride: q.broadcastB ? 0 : q.k * q.n };
        const a = seeded(seed, (q.broadcastA ? 1 : q.batch) * q.m * q.k);
        const b = seeded(seed + 1, (q.broadcastB ? 1 : q.batch) * q.k * q.n);
        const out = await values(backend.matmul(store(dtype, a), store(dtype, b), p));
        const ref = naiveMatmul(dtype === 'f32' ? Array.from(new Float32Array(a)) : a, dtype === 'f32' ? Array.from(new Float32Array(b)) : b, p);
        expectClose(out, ref, { rtol: dtype === 'f32' ? 1e-5 : 1e-12, atol: dtype === 'f32' ? 1e-5 : 1e-12 });
      }),
      { numRuns: 60 },
    );
  });

  it('is exact to f64 rounding on a larger f64 product that crosses every block edge', async () => {
    const p: MatmulParams = { batch: 1, m: 70, n: 1030, k: 530, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    const a = seeded(3, 70 * 530);
    const b = seeded(4, 1030 * 530);
    const out = await values(backend.matmul(store('f64', a), store('f64', b), p));
    expectClose(out, naiveMatmul(a, b, p), { rtol: 1e-12, atol: 1e-12 });
  });

  it('sums a batched f32 product deeper than one k step: in f32 on the SIMD kernel, in f64 rounded once without it', async () => {
    const p: MatmulParams = { batch: 2, m: 9, n: 6, k: 600, transA: true, transB: false, aBatchStride: 9 * 600, bBatchStride: 0 };
    const a = Array.from(new Float32Array(seeded(5, 2 * 9 * 600)));
    const b = Array.from(new Float32Array(seeded(6, 600 * 6)));
    const exact = naiveMatmul(a, b, p);
    setCpuSimd(true);
    const simd = await values(backend.matmul(store('f32', a), store('f32', b), p));
    setCpuSimd(false);
    const plain = await values(backend.matmul(store('f32', a), store('f32', b), p));
    setCpuSimd(null);
    expect(plain).toEqual(exact.map(Math.fround));
    // f32 summation: error within k * 2^-24 * sum |a||b| (each |a||b| < 1 here).
    expectClose(simd, exact, { rtol: 0, atol: simdSupported() ? 600 * 2 ** -24 * 600 : 0 });
  });

  it('gives zeros for k = 0 and handles empty outputs', async () => {
    const base = { batch: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    expect(await values(backend.matmul(store('f32', []), store('f32', []), { ...base, m: 2, n: 3, k: 0 }))).toEqual(new Array(12).fill(0));
    expect(await values(backend.matmul(store('f32', []), store('f32', [1, 2, 3, 4, 5, 6]), { ...base, m: 0, n: 3, k: 2 }))).toEqual([]);
  });

  it('computes a hand-checked product', async () => {
    const p: MatmulParams = { batch: 1, m: 2, n: 2, k: 3, transA: false, transB: false, aBatchStride: 6, bBatchStride: 6 };
    const out = await values(backend.matmul(store('f32', [1, 2, 3, 4, 5, 6]), store('f32', [7, 8, 9, 10, 11, 12]), p));
    expect(out).toEqual([58, 64, 139, 154]);
  });

  it('rejects non-float, mixed-dtype and too-small operands with the kernel name', () => {
    const p: MatmulParams = { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, aBatchStride: 4, bBatchStride: 4 };
    expect(() => backend.matmul(store('bool', [1, 0, 1, 0]), store('bool', [1, 0, 1, 0]), p)).toThrow(
      /cpu\.matmul: expected a of dtype f32 or f64, found bool/,
    );
    expect(() => backend.matmul(store('f32', [1, 0, 1, 0]), store('f64', [1, 0, 1, 0]), p)).toThrow(
      /cpu\.matmul: expected b to have the dtype of a \(f32\), found f64/,
    );
    expect(() => backend.matmul(store('f32', [1, 0, 1]), store('f32', [1, 0, 1, 0]), p)).toThrow(/cpu\.matmul: a needs at least 4 elements/);
  });
});
