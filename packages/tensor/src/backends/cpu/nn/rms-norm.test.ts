import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { cpuData, expectGradient } from '../../../testing/gradcheck.js';
import { awkwardSize, floatDtype, seedArb, seeded, smallSize } from '../../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

describe('cpu rmsNorm', () => {
  it('matches x / sqrt(mean(x^2) + eps) and returns 1/rms per row', async () => {
    await fc.assert(
      fc.asyncProperty(smallSize, awkwardSize, floatDtype, seedArb, async (rows, cols, dtype, seed) => {
        const x = seeded(seed, rows * cols, -2, 2);
        const xs = dtype === 'f32' ? Array.from(new Float32Array(x)) : x;
        const eps = 1e-5;
        const inv = Array.from({ length: rows }, (_, r) => {
          const row = xs.slice(r * cols, (r + 1) * cols);
          return 1 / Math.sqrt(row.reduce((a, v) => a + v * v, 0) / cols + eps);
        });
        const { y, invRms } = backend.rmsNorm(store(dtype, x), rows, cols, eps);
        const tol = dtype === 'f32' ? 1e-6 : 1e-13;
        expectClose(await values(invRms), inv, { rtol: tol, atol: tol });
        expectClose(
          await values(y),
          xs.map((v, i) => v * inv[Math.floor(i / cols)]!),
          { rtol: tol, atol: tol },
        );
      }),
      { numRuns: 30 },
    );
  });

  it('backward matches finite differences in f64', () => {
    fc.assert(
      fc.property(smallSize, awkwardSize, seedArb, (rows, cols, seed) => {
        const x = seeded(seed, rows * cols, -2, 2);
        const dy = seeded(seed + 1, rows * cols);
        const forward = (v: number[]) => cpuData(backend.rmsNorm(store('f64', v), rows, cols, 1e-6).y);
        const { invRms } = backend.rmsNorm(store('f64', x), rows, cols, 1e-6);
        expectGradient(forward, x, dy, cpuData(backend.rmsNormBackward(store('f64', dy), store('f64', x), invRms, rows, cols)));
      }),
      { numRuns: 20 },
    );
  });
});
