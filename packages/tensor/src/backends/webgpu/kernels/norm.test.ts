import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ROW_LAYOUTS, useRowLayout } from './test-row-layouts.js';
import { compareWithCpu, cpu, host, seedArb, seeded, testBackend } from '../test-utils.js';
import { rmsNorm, rmsNormBackward } from './norm.js';

const gpu = await testBackend();
// Row lengths below, at and above the 32/64 threads per row, and HRM's hidden size.
const colsArb = fc.oneof(fc.constantFrom(1, 3, 17, 33, 64, 65, 82, 512), fc.integer({ min: 1, max: 140 }));
const rowsArb = fc.integer({ min: 1, max: 9 });

for (const layout of ROW_LAYOUTS) {
  describe.skipIf(!gpu)(`webgpu rmsNorm, ${layout} per row`, () => {
    useRowLayout(layout);
    const engine = gpu?.engine!; // collected even when the suite is skipped

    it('forward matches the CPU (y and invRms)', async () => {
      await fc.assert(
        fc.asyncProperty(rowsArb, colsArb, seedArb, async (rows, cols, seed) => {
          await compareWithCpu(gpu!, (be, [x]) => (be === cpu ? be.rmsNorm(x!, rows, cols, 1e-5) : rmsNorm(engine, x!, rows, cols, 1e-5)), [
            host('f32', seeded(seed, rows * cols, -3, 3)),
          ]);
        }),
        { numRuns: 6 },
      );
    });

    it('backward matches the CPU', async () => {
      await fc.assert(
        fc.asyncProperty(rowsArb, colsArb, seedArb, async (rows, cols, seed) => {
          const x = seeded(seed, rows * cols, -3, 3);
          const invRms = Array.from({ length: rows }, (_, r) => 1 / Math.sqrt(x.slice(r * cols, (r + 1) * cols).reduce((s, v) => s + v * v, 0) / cols + 1e-5));
          await compareWithCpu(
            gpu!,
            (be, [dy, xs, inv]) => (be === cpu ? be.rmsNormBackward(dy!, xs!, inv!, rows, cols) : rmsNormBackward(engine, dy!, xs!, inv!, rows, cols)),
            [host('f32', seeded(seed + 1, rows * cols)), host('f32', x), host('f32', invRms)],
            // dx = r (dy - y mean(dy y)) cancels when dy is nearly parallel to y: f32 sums leave an absolute error.
            { rtol: 1e-5, atol: 1e-6 },
          );
        }),
        { numRuns: 6 },
      );
    });
  });
}
