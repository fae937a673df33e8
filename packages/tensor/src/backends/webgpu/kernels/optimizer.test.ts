import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AdamHyper } from '../../../backend.js';
import { compareWithCpu, cpu, host, seedArb, seeded, seededInts, testBackend } from '../test-utils.js';
import { adamATan2Update, adamWUpdate, signSgdRows } from './optimizer.js';

const gpu = await testBackend();
const hyperArb = fc.record({
  lr: fc.constantFrom(1e-4, 1e-2, 0.3),
  weightDecay: fc.constantFrom(0, 0.1, 1),
  beta1: fc.constant(0.9),
  beta2: fc.constantFrom(0.95, 0.999),
  step: fc.integer({ min: 1, max: 3000 }),
});

describe.skipIf(!gpu)('webgpu optimiser updates', () => {
  const engine = gpu?.engine!; // collected even when the suite is skipped

  for (const kind of ['adamATan2', 'adamW'] as const) {
    it(`${kind} updates param, m and v in place like the CPU`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 300 }), hyperArb, seedArb, async (size, h: AdamHyper, seed) => {
          const inputs = [
            host('f32', seeded(seed, size)),
            host('f32', seeded(seed + 1, size, -0.1, 0.1)),
            host('f32', seeded(seed + 2, size, -0.01, 0.01)),
            host('f32', seeded(seed + 3, size, 0, 1e-4)),
          ];
          const hw = { ...h, eps: 1e-8 };
          await compareWithCpu(
            gpu!,
            (be, [p, g, m, v]) => {
              if (be === cpu) {
                if (kind === 'adamATan2') be.adamATan2Update(p!, g!, m!, v!, h);
                else be.adamWUpdate(p!, g!, m!, v!, hw);
              } else if (kind === 'adamATan2') adamATan2Update(engine, p!, g!, m!, v!, h);
              else adamWUpdate(engine, p!, g!, m!, v!, hw);
              return [p!, m!, v!];
            },
            inputs,
            // f32 moments carry a few ulps; p can cancel to near 0, so the absolute part follows the
            // step size lr / (1 - b1^t). AdamATan2's update is stepSize * atan2(...) (at most pi
            // stepSize) and lavapipe's f32 atan2 is accurate to about 1e-6 of that.
            { rtol: 1e-5, atol: Math.max(1e-7, (kind === 'adamATan2' ? 3e-6 : 1e-7) * (h.lr / (1 - h.beta1 ** h.step))) },
          );
        }),
        { numRuns: 10 },
      );
    });
  }

  it('signSgdRows updates only the named rows, summing duplicate ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.oneof(fc.constantFrom(1, 3, 64, 65, 130), fc.integer({ min: 1, max: 40 })),
        fc.integer({ min: 0, max: 20 }),
        seedArb,
        async (n, dim, count, seed) => {
          const h = { lr: 0.01, weightDecay: 0.5 };
          const { gpu: out } = await compareWithCpu(
            gpu!,
            (be, [t, ids, g]) => {
              if (be === cpu) be.signSgdRows(t!, ids!, g!, n, dim, h);
              else signSgdRows(engine, t!, ids!, g!, n, dim, h);
              return t!;
            },
            [host('f32', seeded(seed, n * dim)), host('i32', seededInts(seed + 1, count, 0, n)), host('f32', seeded(seed + 2, count * dim))],
          );
          expect(out[0]!.length).toBe(n * dim);
        },
      ),
      { numRuns: 12 },
    );
  });
});
