import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReduceOp } from '../../backend.js';
import { createCpuBackend } from './index.js';
import { expectClose, hostIO } from '../../testing/compare.js';
import { awkwardSize, seedArb, seededInts, smallSize } from '../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

/** Reference: collect each [o, :, i] fibre and fold it with plain array methods. */
function naiveReduce(op: ReduceOp, x: number[], outer: number, reduce: number, inner: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const fibre = Array.from({ length: reduce }, (_, r) => x[(o * reduce + r) * inner + i]!);
      const extreme = op === 'argmax' || op === 'max' ? Math.max(...fibre) : Math.min(...fibre);
      switch (op) {
        case 'sum':
          out.push(fibre.reduce((a, b) => a! + b!, 0)!);
          break;
        case 'prod':
          out.push(fibre.reduce((a, b) => a! * b!, 1)!);
          break;
        case 'max':
        case 'min':
          out.push(extreme);
          break;
        case 'argmax':
        case 'argmin':
          out.push(fibre.indexOf(extreme));
          break;
      }
    }
  }
  return out;
}

const OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];

describe('cpu reduce', () => {
  it('matches the fibre reference for every op and dtype (ties pick the first index)', async () => {
    await fc.assert(
      fc.asyncProperty(
        smallSize,
        awkwardSize,
        smallSize,
        fc.constantFrom(...OPS),
        fc.constantFrom('f32', 'f64', 'i32') as fc.Arbitrary<'f32' | 'f64' | 'i32'>,
        seedArb,
        async (outer, n, inner, op, dtype, seed) => {
          // Few distinct values so that ties are common; prod over small ints stays exact.
          const x = seededInts(seed, outer * n * inner, 0, 5).map((v) => v - 2);
          const out = backend.reduce(op, store(dtype, x), outer, n, inner);
          expect(out.dtype).toBe(op.startsWith('arg') ? 'i32' : dtype);
          expectClose(await values(out), naiveReduce(op, x, outer, n, inner), { rtol: 0, atol: 0 });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('sums booleans into i32 and keeps f32 sums accurate', async () => {
    const s = backend.reduce('sum', store('bool', [1, 0, 1, 1]), 1, 4, 1);
    expect(s.dtype).toBe('i32');
    expect(await values(s)).toEqual([3]);
    const many = new Array(10000).fill(0.1);
    expect(await values(backend.reduce('sum', store('f32', many), 1, 10000, 1))).toEqual([Math.fround(10000 * Math.fround(0.1))]);
  });

  it('propagates NaN through max and argmax', async () => {
    expect((await values(backend.reduce('max', store('f32', [1, NaN, 3]), 1, 3, 1)))[0]).toBeNaN();
    expect(await values(backend.reduce('argmax', store('f32', [1, NaN, 3]), 1, 3, 1))).toEqual([1]);
  });

  it('gives identities on an empty axis for sum/prod and refuses the rest', async () => {
    expect(await values(backend.reduce('sum', store('f32', []), 2, 0, 1))).toEqual([0, 0]);
    expect(await values(backend.reduce('prod', store('f32', []), 2, 0, 1))).toEqual([1, 1]);
    expect(() => backend.reduce('argmax', store('f32', []), 2, 0, 1)).toThrow(/cpu\.reduce\(argmax\): cannot reduce an empty axis/);
    expect(() => backend.reduce('sum', store('f32', [1, 2]), 1, 3, 1)).toThrow(/expected x to have 3 elements, found 2/);
  });
});
