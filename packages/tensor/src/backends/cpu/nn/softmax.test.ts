import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { cpuData, expectGradient } from '../../../testing/gradcheck.js';
import { awkwardSize, floatDtype, seedArb, seeded, smallSize } from '../../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

function naiveSoftmax(x: number[], rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * cols, (r + 1) * cols);
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    out.push(...e.map((v) => v / sum));
  }
  return out;
}

describe('cpu softmax and logSoftmax', () => {
  it('match the naive softmax, also for huge logits', async () => {
    await fc.assert(
      fc.asyncProperty(smallSize, awkwardSize, floatDtype, seedArb, fc.constantFrom(1, 1000), async (rows, cols, dtype, seed, range) => {
        const x = seeded(seed, rows * cols, -range, range);
        const xs = dtype === 'f32' ? Array.from(new Float32Array(x)) : x;
        const ref = naiveSoftmax(xs, rows, cols);
        const tol = dtype === 'f32' ? 1e-6 : 1e-13;
        expectClose(await values(backend.softmax(store(dtype, x), rows, cols)), ref, { rtol: tol, atol: tol });
        const logs = await values(backend.logSoftmax(store(dtype, x), rows, cols));
        expect(logs.every(Number.isFinite)).toBe(true);
        expectClose(logs.map(Math.exp), ref, { rtol: tol * 10, atol: tol });
      }),
      { numRuns: 40 },
    );
  });

  it('backward kernels match finite differences in f64', () => {
    fc.assert(
      fc.property(smallSize, awkwardSize, seedArb, (rows, cols, seed) => {
        const x = seeded(seed, rows * cols, -3, 3);
        const dy = seeded(seed + 1, rows * cols);
        const y = backend.softmax(store('f64', x), rows, cols);
        expectGradient((v) => cpuData(backend.softmax(store('f64', v), rows, cols)), x, dy, cpuData(backend.softmaxBackward(y, store('f64', dy), rows, cols)));
        const ly = backend.logSoftmax(store('f64', x), rows, cols);
        expectGradient(
          (v) => cpuData(backend.logSoftmax(store('f64', v), rows, cols)),
          x,
          dy,
          cpuData(backend.logSoftmaxBackward(ly, store('f64', dy), rows, cols)),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('rejects integer input and mismatched gradients', () => {
    expect(() => backend.softmax(store('i32', [1, 2]), 1, 2)).toThrow(/cpu\.softmax: expected x of dtype f32 or f64, found i32/);
    expect(() => backend.softmaxBackward(store('f32', [1, 2]), store('f64', [1, 2]), 1, 2)).toThrow(
      /cpu\.softmaxBackward: expected dy to have the dtype of y \(f32\), found f64/,
    );
  });
});
