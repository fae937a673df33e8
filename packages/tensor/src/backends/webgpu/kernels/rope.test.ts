import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareWithCpu, cpu, host, seedArb, seeded, testBackend, upload } from '../test-utils.js';
import { rope } from './rope.js';

const gpu = await testBackend();

describe.skipIf(!gpu)('webgpu rope', () => {
  const engine = gpu?.engine!; // collected even when the suite is skipped

  it('matches the CPU, forward and adjoint', async () => {
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
            (be, [x, c, s]) => (be === cpu ? be.rope(x!, c!, s!, batch, heads, seq, dim, inverse) : rope(engine, x!, c!, s!, batch, heads, seq, dim, inverse)),
            [host('f32', seeded(seed, batch * heads * seq * dim)), host('f32', seeded(seed + 1, seq * dim)), host('f32', seeded(seed + 2, seq * dim))],
            // Two products summed: the result can cancel to near zero.
            { rtol: 1e-5, atol: 1e-7 },
          );
        },
      ),
      { numRuns: 10 },
    );
  });

  it('the adjoint is the transpose for arbitrary tables: <rope(x), dy> = <x, adjoint(dy)>', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(1, 5, 17), fc.constantFrom(2, 6, 64), seedArb, async (seq, dim, seed) => {
        const [batch, heads] = [2, 3];
        const n = batch * heads * seq * dim;
        const x = seeded(seed, n);
        const dy = seeded(seed + 1, n);
        // Tables whose halves differ: the inverse rotation is not the adjoint for these.
        const [c, s] = [seeded(seed + 2, seq * dim), seeded(seed + 3, seq * dim)].map((t) => upload(gpu!, host('f32', t)));
        const apply = async (v: number[], adjoint: boolean) => {
          const input = upload(gpu!, host('f32', v));
          const out = rope(engine, input, c!, s!, batch, heads, seq, dim, adjoint);
          const values = Array.from(await gpu!.read(out), Number);
          gpu!.free(input);
          gpu!.free(out);
          return values;
        };
        const dot = (a: number[], b: number[]) => a.reduce((acc, v, i) => acc + v * b[i]!, 0);
        const lhs = dot(await apply(x, false), dy);
        const rhs = dot(x, await apply(dy, true));
        gpu!.free(c!);
        gpu!.free(s!);
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-4 * Math.sqrt(n) + 1e-5 * Math.abs(lhs));
      }),
      { numRuns: 6 },
    );
  });
});
