/**
 * Every differentiable op: analytic gradients against central finite differences in f64 on
 * random shapes (fast-check picks the sizes and the data seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setBackend } from '../backends.js';
import { Rng } from '../random.js';
import { gradCheck } from '../testing/gradcheck.js';
import { OP_CASES } from '../testing/op-cases.js';

await setBackend('cpu');

const sizes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 });

describe('gradients match central finite differences (f64)', () => {
  for (const c of OP_CASES) {
    it(c.name, () => {
      fc.assert(
        fc.property(sizes, fc.integer({ min: 1, max: 1 << 30 }), (d, seed) => {
          const { inputs, fn } = c.build(new Rng(seed), d);
          const r = gradCheck(fn, inputs, seed);
          expect(r.maxRelError).toBeLessThan(1e-5);
          if (!c.mayVanish) expect(r.maxGrad).toBeGreaterThan(0);
        }),
        { numRuns: 10 },
      );
    });
  }
});
