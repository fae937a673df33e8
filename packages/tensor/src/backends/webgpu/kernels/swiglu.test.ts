import fc from 'fast-check';
import { describe, it } from 'vitest';
import { compareWithCpu, cpu, host, seedArb, seeded, testBackend } from '../test-utils.js';
import { swiglu, swigluBackward } from './swiglu.js';

const gpu = await testBackend();

describe.skipIf(!gpu)('webgpu swiglu', () => {
  const engine = gpu?.engine!; // collected even when the suite is skipped

  it('forward and backward match the CPU', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 7 }),
        fc.oneof(fc.constantFrom(1, 3, 17, 65, 96), fc.integer({ min: 1, max: 80 })),
        seedArb,
        async (rows, inter, seed) => {
          const gateUp = host('f32', seeded(seed, rows * 2 * inter, -6, 6));
          // WGSL's exp is not correctly rounded (a few ulps) and sigmoid'(g) terms can cancel.
          const tol = { rtol: 1e-5, atol: 1e-6 };
          await compareWithCpu(gpu!, (be, [g]) => (be === cpu ? be.swiglu(g!, rows, inter) : swiglu(engine, g!, rows, inter)), [gateUp], tol);
          await compareWithCpu(
            gpu!,
            (be, [g, d]) => (be === cpu ? be.swigluBackward(g!, d!, rows, inter) : swigluBackward(engine, g!, d!, rows, inter)),
            [gateUp, host('f32', seeded(seed + 1, rows * inter))],
            tol,
          );
        },
      ),
      { numRuns: 10 },
    );
  });
});
