import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';
import { expectClose, hostIO } from '../../testing/compare.js';
import { awkwardSize, floatDtype, seedArb, seeded, seededInts, smallSize } from '../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

describe('cpu gather and scatterAdd', () => {
  it('gather picks rows like index arithmetic, and scatterAdd is its adjoint', async () => {
    await fc.assert(
      fc.asyncProperty(smallSize, awkwardSize, smallSize, awkwardSize, floatDtype, seedArb, async (outer, n, inner, m, dtype, seed) => {
        const x = seeded(seed, outer * n * inner);
        const ids = seededInts(seed + 1, m, 0, n);
        const y = seeded(seed + 2, outer * m * inner);
        const g = await values(backend.gather(store(dtype, x), store('i32', ids), outer, n, inner));
        const s = await values(backend.scatterAdd(store(dtype, y), store('i32', ids), outer, n, inner));
        const xs = dtype === 'f32' ? Array.from(new Float32Array(x)) : x;
        const ys = dtype === 'f32' ? Array.from(new Float32Array(y)) : y;
        const ref: number[] = [];
        for (let o = 0; o < outer; o++) for (let j = 0; j < m; j++) for (let i = 0; i < inner; i++) ref.push(xs[(o * n + ids[j]!) * inner + i]!);
        expect(g).toEqual(ref);
        // <gather(x), y> == <x, scatterAdd(y)>
        const lhs = g.reduce((acc, v, i) => acc + v * ys[i]!, 0);
        const rhs = s.reduce((acc, v, i) => acc + v * xs[i]!, 0);
        expectClose([lhs], [rhs], { rtol: 1e-5, atol: 1e-5 });
      }),
      { numRuns: 50 },
    );
  });

  it('scatterAdd sums duplicate ids', async () => {
    const out = await values(backend.scatterAdd(store('f32', [1, 2, 3, 4, 5, 6]), store('i32', [2, 0, 2]), 1, 3, 2));
    expect(out).toEqual([3, 4, 0, 0, 6, 8]);
  });

  it('gather works for i32 and bool tables and rejects ids out of range', async () => {
    expect(await values(backend.gather(store('i32', [10, 20, 30]), store('i32', [2, 2, 0]), 1, 3, 1))).toEqual([30, 30, 10]);
    expect(await values(backend.gather(store('bool', [1, 0]), store('i32', [1]), 1, 2, 1))).toEqual([0]);
    expect(() => backend.gather(store('f32', [1, 2]), store('i32', [2]), 1, 2, 1)).toThrow(/cpu\.gather: ids\[0\] = 2 is outside \[0, 2\)/);
    expect(() => backend.gather(store('f32', [1, 2]), store('f32', [0]), 1, 2, 1)).toThrow(/cpu\.gather: expected ids of dtype i32, found f32/);
  });
});
