import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttentionParams, Storage } from '../../../backend.js';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { seedArb, seeded, seededInts } from '../../../testing/seeded.js';
import { exp32 } from '../exp.js';
import { cpuSimdEnabled, setCpuSimd, simdSupported } from './features.js';
import { rowKernels, SIMD_ARITHMETIC } from './row-kernels.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

/** Runs `kernel` with the WebAssembly SIMD kernels on and off; returns both results' values. */
async function bothWays(kernel: () => Storage[]): Promise<{ simd: number[][]; plain: number[][] }> {
  setCpuSimd(true);
  const simd = await Promise.all(kernel().map(values));
  setCpuSimd(false);
  const plain = await Promise.all(kernel().map(values));
  return { simd, plain };
}

const rowsArb = fc.integer({ min: 1, max: 5 });
// Widths around the vector width and HRM's (82 keys, 512 inter) to cover full vectors and tails.
const widthArb = fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 17, 82, 512, 515);

describe.runIf(simdSupported())('cpu WebAssembly SIMD row kernels against the TypeScript kernels', () => {
  afterEach(() => setCpuSimd(null));

  it('HRM_CPU_SIMD switches them (setCpuSimd overrides)', () => {
    setCpuSimd(false);
    expect(cpuSimdEnabled()).toBe(false);
    setCpuSimd(true);
    expect(cpuSimdEnabled()).toBe(true);
  });

  it('f32 add, sub, mul and div give the bits of the TypeScript loops, specials included', async () => {
    const specials = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3.4e38, 1e-45];
    await fc.assert(
      fc.asyncProperty(rowsArb, widthArb, fc.constantFrom(...SIMD_ARITHMETIC), seedArb, async (rows, width, op, seed) => {
        const n = rows * width;
        const withSpecials = (v: number[]) => v.map((x, i) => (i % 5 === 0 ? specials[(i / 5 + seed) % specials.length]! : x));
        const x = store('f32', withSpecials(seeded(seed, n, -3, 3)));
        const y = store('f32', withSpecials(seeded(seed + 1, n, -3, 3)).reverse());
        const { simd, plain } = await bothWays(() => [backend.binary(op, x, [rows, width], y, [rows, width], [rows, width])]);
        expect(simd[0]!.map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(plain[0]!.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
      }),
      { numRuns: 60 },
    );
  });

  it('AdamATan2 updates, moments from zero (0 / 0 included) and tails past the last vector', async () => {
    await fc.assert(
      fc.asyncProperty(widthArb, fc.integer({ min: 1, max: 3 }), fc.boolean(), seedArb, async (n, step, fresh, seed) => {
        // Every third gradient 0: with fresh (zero) moments those elements take atan2(0, 0).
        const grads = seeded(seed, n, -2, 2).map((g, i) => (i % 3 === 0 ? 0 : g));
        const h = { lr: 0.01, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, step };
        const { simd, plain } = await bothWays(() => {
          const [p, m, v] = [
            store('f32', seeded(seed + 1, n)),
            store('f32', fresh ? new Array(n).fill(0) : seeded(seed + 2, n)),
            store('f32', fresh ? new Array(n).fill(0) : seeded(seed + 3, n, 0, 1)),
          ];
          backend.adamATan2Update(p, store('f32', grads), m, v, h);
          return [p, m, v];
        });
        // f32 arithmetic against f64 rounded once: within a few f32 ulp of the terms (p's update is
        // up to lr / (1 - beta1^t) = 0.1, so a few ulp of 0.1 absolute).
        for (let i = 0; i < 3; i++) expectClose(simd[i]!, plain[i]!, { rtol: 1e-6, atol: 1e-7 });
      }),
      { numRuns: 60 },
    );
  });

  it('rmsNorm forward and backward', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, widthArb, fc.constantFrom(1e-5, 1e-6, 0.5), seedArb, async (rows, cols, eps, seed) => {
        const x = store('f32', seeded(seed, rows * cols, -3, 3));
        const dy = store('f32', seeded(seed + 1, rows * cols, -2, 2));
        const { simd, plain } = await bothWays(() => {
          const { y, invRms } = backend.rmsNorm(x, rows, cols, eps);
          return [y, invRms, backend.rmsNormBackward(dy, x, invRms, rows, cols)];
        });
        // f32 sums of at most 515 terms against f64 ones.
        for (let i = 0; i < 3; i++) expectClose(simd[i]!, plain[i]!, { rtol: 1e-5, atol: 1e-6 });
      }),
      { numRuns: 60 },
    );
  });

  it('swiglu forward and backward', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, widthArb, seedArb, fc.constantFrom(4, 40), async (rows, inter, seed, range) => {
        const gu = store('f32', seeded(seed, rows * 2 * inter, -range, range));
        const dOut = store('f32', seeded(seed + 1, rows * inter));
        const { simd, plain } = await bothWays(() => [backend.swiglu(gu, rows, inter), backend.swigluBackward(gu, dOut, rows, inter)]);
        for (let i = 0; i < 2; i++) expectClose(simd[i]!, plain[i]!, { rtol: 2e-6, atol: 1e-6 });
      }),
      { numRuns: 60 },
    );
  });

  it('attention (its score-row softmax), forward and backward, with and without a mask', async () => {
    await fc.assert(
      fc.asyncProperty(rowsArb, widthArb, fc.constantFrom(1, 5, 32), fc.boolean(), seedArb, async (seqQ, seqK, headDim, masked, seed) => {
        const p: AttentionParams = { batch: 1, heads: 2, seqQ, seqK, headDim, scale: 1 / Math.sqrt(headDim) };
        const [q, dO] = [seed, seed + 3].map((s) => store('f32', seeded(s, 2 * seqQ * headDim, -2, 2)));
        const [k, v] = [seed + 1, seed + 2].map((s) => store('f32', seeded(s, 2 * seqK * headDim, -2, 2)));
        // Some -Infinity entries, and with seqK > 1 a fully masked first row.
        const mask = masked
          ? store(
              'f32',
              seededInts(seed + 4, seqQ * seqK, 0, 3).map((m, i) => (i < seqK && seqK > 1 ? -Infinity : m === 0 ? -Infinity : m - 1)),
            )
          : undefined;
        const { simd, plain } = await bothWays(() => {
          const { o, lse } = backend.attention(q!, k!, v!, p, mask);
          const g = backend.attentionBackward(q!, k!, v!, o, lse, dO!, p, mask);
          return [o, lse, g.dq, g.dk, g.dv];
        });
        for (let i = 0; i < simd.length; i++) expectClose(simd[i]!, plain[i]!, { rtol: 1e-5, atol: 1e-6 });
      }),
      { numRuns: 60 },
    );
  });

  it('softmax rows: special values as the TypeScript kernel treats them', () => {
    // Row 0 holds +Infinity (lse +Infinity: exp(s - Infinity) unnormalised), row 1 NaN, row 2 is all
    // -Infinity (zeros, lse -Infinity), row 3 has scores far below the maximum (exp flushes to 0).
    const cols = 5;
    const scores = new Float32Array([1, Infinity, 2, 3, 4, 1, NaN, 2, 3, 4, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0, -200, -90, -50, 1]);
    const lse = new Float32Array(4);
    rowKernels().softmaxRows(scores, null, 4, cols, 1, lse, 0, false);
    expect(Array.from(lse.subarray(0, 3))).toEqual([Infinity, NaN, -Infinity]);
    expect(Array.from(scores.subarray(0, 5))).toEqual([0, NaN, 0, 0, 0]);
    expect(scores.subarray(5, 10).every(Number.isNaN)).toBe(true);
    expect(Array.from(scores.subarray(10, 15))).toEqual([0, 0, 0, 0, 0]);
    const row3 = [0, -200, -90, -50, 1].map((x) => exp32(x - 1));
    const sum = row3.reduce((a, b) => a + b, 0);
    expectClose(
      scores.subarray(15, 20),
      row3.map((e) => e / sum),
      { rtol: 1e-6, atol: 1e-30 },
    );
    expectClose([lse[3]!], [1 + Math.log(sum)], { rtol: 1e-6, atol: 0 });
  });
});
