import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ROW_LAYOUTS, useRowLayout } from './test-row-layouts.js';
import { compareWithCpu, cpu, host, seedArb, seeded, testBackend } from '../test-utils.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from './softmax.js';

const gpu = await testBackend();
const colsArb = fc.oneof(fc.constantFrom(1, 3, 11, 17, 33, 65, 82, 901), fc.integer({ min: 1, max: 140 }));
const rowsArb = fc.integer({ min: 1, max: 9 });

for (const layout of ROW_LAYOUTS) {
  describe.skipIf(!gpu)(`webgpu softmax, ${layout} per row`, () => {
    useRowLayout(layout);
    const engine = gpu?.engine!; // collected even when the suite is skipped

    for (const log of [false, true]) {
      const name = log ? 'logSoftmax' : 'softmax';
      it(`${name} forward and backward match the CPU`, async () => {
        await fc.assert(
          fc.asyncProperty(rowsArb, colsArb, seedArb, async (rows, cols, seed) => {
            const x = host('f32', seeded(seed, rows * cols, -8, 8));
            // log-softmax of a dominant logit is -log(s) with s = 1 + (tiny terms): the f32 rounding of
            // s (about 1e-7) is an absolute error there.
            const tol = { rtol: 1e-5, atol: log ? 5e-7 : 1e-7 };
            const { cpu: y } = await compareWithCpu(
              gpu!,
              (be, [xs]) =>
                be === cpu ? (log ? be.logSoftmax(xs!, rows, cols) : be.softmax(xs!, rows, cols)) : (log ? logSoftmax : softmax)(engine, xs!, rows, cols),
              [x],
              tol,
            );
            await compareWithCpu(
              gpu!,
              (be, [ys, dy]) =>
                be === cpu
                  ? log
                    ? be.logSoftmaxBackward(ys!, dy!, rows, cols)
                    : be.softmaxBackward(ys!, dy!, rows, cols)
                  : (log ? logSoftmaxBackward : softmaxBackward)(engine, ys!, dy!, rows, cols),
              [host('f32', y[0]!), host('f32', seeded(seed + 1, rows * cols))],
              { rtol: 1e-5, atol: 1e-6 },
            );
          }),
          { numRuns: 6 },
        );
      });
    }
  });
}
