/**
 * The shared op suite: every op of the catalogue, on every backend under test, in f32, against
 * the CPU backend in f64 — forward values and the gradients of a random weighted sum.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { backward } from '../autodiff.js';
import { cpuBackend, tidy, withBackend } from '../runtime.js';
import { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { backendsForTests } from '../testing/backends.js';
import { relativeError } from '../testing/compare.js';
import { materialize } from '../testing/gradcheck.js';
import { type CaseInput, OP_CASES, randomValues } from '../testing/op-cases.js';
import { tensor } from './creation.js';
import { mul } from './elementwise.js';
import { sum } from './reduce.js';

const backends = await backendsForTests();
const sizes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 });

/** Output and input gradients of fn, computed on `backend` in `dtype`. */
async function evaluate(backend: Backend, dtype: 'f32' | 'f64', fn: (...xs: Tensor[]) => Tensor, inputs: CaseInput[], seed: number): Promise<Float64Array[]> {
  const results = withBackend(backend, () =>
    tidy(() => {
      const xs = inputs.map((inp) => materialize(inp, dtype));
      const out = fn(...xs);
      const weights = tensor(randomValues(out.size, new Rng(seed)), { shape: out.shape, dtype });
      if (out.requiresGrad) backward(sum(mul(out, weights)));
      return [out, ...xs.flatMap((x, i) => (inputs[i]!.kind === 'param' && x.grad ? [x.grad.detach()] : []))];
    }),
  );
  const host = await Promise.all(results.map(async (t) => Float64Array.from(await t.data())));
  for (const t of results) t.dispose();
  return host;
}

for (const backend of backends) {
  describe(`op suite on ${backend.name} (f32 vs CPU f64)`, () => {
    for (const c of OP_CASES) {
      it(c.name, async () => {
        await fc.assert(
          fc.asyncProperty(sizes, fc.integer({ min: 1, max: 1 << 30 }), async (d, seed) => {
            const { inputs, fn } = c.build(new Rng(seed), d);
            const expected = await evaluate(cpuBackend(), 'f64', fn, inputs, seed);
            const actual = await evaluate(backend, 'f32', fn, inputs, seed);
            expect(actual.length).toBe(expected.length);
            actual.forEach((a, i) => expect(relativeError(a, expected[i]!, 1), `${i === 0 ? 'output' : `gradient ${i}`}`).toBeLessThan(1e-4));
          }),
          { numRuns: 5 },
        );
      });
    }
  });
}
