import fc from 'fast-check';
import { describe, it } from 'vitest';
import { compareWithCpu, cpu, host, seedArb, seeded, testBackend } from '../test-utils.js';
import { rope } from './rope.js';

const gpu = await testBackend();

describe.skipIf(!gpu)('webgpu rope', () => {
  const engine = gpu?.engine!; // collected even when the suite is skipped

  it('matches the CPU, forward and inverse', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(1, 3, 17, 82),
        fc.constantFrom(2, 8, 16, 64),
        fc.boolean(),
        seedArb,
        async (batch, heads, seq, dim, inverse, seed) => {
          await compareWithCpu(
            gpu!,
            (be, [x, c, s]) =>
              be === cpu ? be.rope(x!, c!, s!, batch, heads, seq, dim, inverse) : rope(engine, x!, c!, s!, batch, heads, seq, dim, inverse),
            [host('f32', seeded(seed, batch * heads * seq * dim)), host('f32', seeded(seed + 1, seq * dim)), host('f32', seeded(seed + 2, seq * dim))],
            // Two products summed: the result can cancel to near zero.
            { rtol: 1e-5, atol: 1e-7 },
          );
        },
      ),
      { numRuns: 10 },
    );
  });
});
