import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrossEntropyKind } from '../../../backend.js';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { cpuData, expectGradient } from '../../../testing/gradcheck.js';
import { awkwardSize, floatDtype, seedArb, seeded, seededInts, smallSize } from '../../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

const IGNORE = -100;

/** Reference losses written straight from the definitions (HRM spec section 5 for stablemax). */
function naiveLoss(kind: CrossEntropyKind, row: number[], label: number): number {
  if (kind === 'softmax') return -Math.log(Math.exp(row[label]!) / row.reduce((a, x) => a + Math.exp(x), 0));
  const s = (x: number) => (x >= 0 ? x + 1 : 1 / (1 - x + 1e-30));
  return -Math.log(s(row[label]!) / row.reduce((a, x) => a + s(x), 0));
}

/** Labels with about one in four rows ignored. */
function labelsFor(seed: number, rows: number, cols: number): number[] {
  return seededInts(seed, rows, 0, cols).map((l, r) => (seeded(seed + r, 1)[0]! > 0.5 ? IGNORE : l));
}

describe('cpu crossEntropy', () => {
  it('matches the definitions for both kinds, with ignored rows at 0', async () => {
    await fc.assert(
      fc.asyncProperty(
        smallSize,
        awkwardSize,
        floatDtype,
        fc.constantFrom<CrossEntropyKind>('softmax', 'stablemax'),
        seedArb,
        async (rows, cols, dtype, kind, seed) => {
          const x = seeded(seed, rows * cols, -5, 5);
          const xs = dtype === 'f32' ? Array.from(new Float32Array(x)) : x;
          const labels = labelsFor(seed + 1, rows, cols);
          const ref = labels.map((l, r) => (l === IGNORE ? 0 : naiveLoss(kind, xs.slice(r * cols, (r + 1) * cols), l)));
          const tol = dtype === 'f32' ? 1e-6 : 1e-12;
          expectClose(await values(backend.crossEntropy(store(dtype, x), store('i32', labels), rows, cols, IGNORE, kind)), ref, { rtol: tol, atol: tol });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('computes stablemax on hand-checked values', async () => {
    // s(1) = 2, s(0) = 1, s(-1) = 1/2, s(-3) = 1/4; sum = 3.75.
    const loss = await values(backend.crossEntropy(store('f64', [1, 0, -1, -3, 1, 0, -1, -3]), store('i32', [0, 3]), 2, 4, IGNORE, 'stablemax'));
    expectClose(loss, [-Math.log(2 / 3.75), -Math.log(0.25 / 3.75)], { rtol: 1e-14, atol: 0 });
  });

  it('backward matches finite differences of the forward kernel in f64, for both kinds', () => {
    fc.assert(
      fc.property(smallSize, awkwardSize, fc.constantFrom<CrossEntropyKind>('softmax', 'stablemax'), seedArb, (rows, cols, kind, seed) => {
        const x = seeded(seed, rows * cols, -4, 4);
        const labels = store('i32', labelsFor(seed + 1, rows, cols));
        const dLoss = seeded(seed + 2, rows);
        const forward = (v: number[]) => cpuData(backend.crossEntropy(store('f64', v), labels, rows, cols, IGNORE, kind));
        const analytic = cpuData(backend.crossEntropyBackward(store('f64', x), labels, store('f64', dLoss), rows, cols, IGNORE, kind));
        expectGradient(forward, x, dLoss, analytic);
      }),
      { numRuns: 30 },
    );
  });

  it("stablemax gradient on hand-checked values: s'/S minus s'/s at the label", async () => {
    // x = [1, -1], label 0: S = 2 + 1/2; s'(1) = 1, s'(-1) = 1/4.
    const g = await values(backend.crossEntropyBackward(store('f64', [1, -1]), store('i32', [0]), store('f64', [1]), 1, 2, IGNORE, 'stablemax'));
    expectClose(g, [1 / 2.5 - 1 / 2, 0.25 / 2.5], { rtol: 1e-14, atol: 1e-15 });
  });

  it('rejects labels out of range that are not the ignore index', () => {
    expect(() => backend.crossEntropy(store('f32', [0, 0]), store('i32', [2]), 1, 2, IGNORE, 'softmax')).toThrow(
      /cpu\.crossEntropy: labels\[0\] = 2 is outside \[0, 2\)/,
    );
  });
});
