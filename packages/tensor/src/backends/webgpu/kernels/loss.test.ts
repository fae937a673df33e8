import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { CrossEntropyKind } from '../../../backend.js';
import { ROW_LAYOUTS, useRowLayout } from './test-row-layouts.js';
import { compareWithCpu, cpu, host, seedArb, seeded, seededInts, testBackend } from '../test-utils.js';
import { crossEntropy, crossEntropyBackward } from './loss.js';

const gpu = await testBackend();
const IGNORE = -100;
const colsArb = fc.oneof(fc.constantFrom(1, 2, 11, 12, 33, 65), fc.integer({ min: 1, max: 100 }));
const rowsArb = fc.integer({ min: 1, max: 12 });

/** Labels in range, about a quarter of them ignored. */
function labels(seed: number, rows: number, cols: number): number[] {
  return seededInts(seed, rows, 0, cols).map((l, i) => (seededInts(seed + i, 1, 0, 4)[0] === 0 ? IGNORE : l));
}

for (const layout of ROW_LAYOUTS) {
  describe.skipIf(!gpu)(`webgpu cross entropy, ${layout} per row`, () => {
    useRowLayout(layout);
    const engine = gpu?.engine!; // collected even when the suite is skipped

    for (const kind of ['softmax', 'stablemax'] as CrossEntropyKind[]) {
      it(`${kind}: loss and gradient match the CPU, ignored rows give zeros`, async () => {
        await fc.assert(
          fc.asyncProperty(rowsArb, colsArb, seedArb, async (rows, cols, seed) => {
            const inputs = [host('f32', seeded(seed, rows * cols, -6, 6)), host('i32', labels(seed + 1, rows, cols))];
            // The loss lse - x_l (or -log(s_l / S)) cancels when the label dominates: absolute f32 error.
            const tol = { rtol: 1e-5, atol: 1e-6 };
            await compareWithCpu(
              gpu!,
              (be, [x, y]) => (be === cpu ? be.crossEntropy(x!, y!, rows, cols, IGNORE, kind) : crossEntropy(engine, x!, y!, rows, cols, IGNORE, kind)),
              inputs,
              tol,
            );
            await compareWithCpu(
              gpu!,
              (be, [x, y, d]) =>
                be === cpu ? be.crossEntropyBackward(x!, y!, d!, rows, cols, IGNORE, kind) : crossEntropyBackward(engine, x!, y!, d!, rows, cols, IGNORE, kind),
              [...inputs, host('f32', seeded(seed + 2, rows, 0.1, 2))],
              tol,
            );
          }),
          { numRuns: 6 },
        );
      });
    }
  });
}
