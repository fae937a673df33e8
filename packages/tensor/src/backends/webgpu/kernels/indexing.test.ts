import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { DType } from '../../../backend.js';
import { compareWithCpu, host, seeded, seededInts, testBackend } from '../test-utils.js';

const gpu = await testBackend();
const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const dimsArb = fc.record({
  outer: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 1, max: 12 }),
  m: fc.integer({ min: 0, max: 40 }),
  inner: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constant(257)),
});

function data(dtype: DType, seed: number, size: number) {
  if (dtype === 'f32') return host('f32', seeded(seed, size));
  return host(dtype, seededInts(seed, size, dtype === 'bool' ? 0 : -100, dtype === 'bool' ? 2 : 100));
}

describe.skipIf(!gpu)('webgpu gather and scatterAdd', () => {
  const b = gpu!;

  it('gather picks rows of [outer, n, inner] by id, duplicates included', async () => {
    await fc.assert(
      fc.asyncProperty(dimsArb, seedArb, fc.constantFrom<DType>('f32', 'i32', 'bool'), async ({ outer, n, m, inner }, seed, dtype) => {
        await compareWithCpu(b, (be, [x, ids]) => be.gather(x!, ids!, outer, n, inner), [
          data(dtype, seed, outer * n * inner),
          host('i32', seededInts(seed + 1, m, 0, n)),
        ]);
      }),
      { numRuns: 20 },
    );
  });

  it('scatterAdd sums duplicate ids and leaves untouched rows zero', async () => {
    await fc.assert(
      fc.asyncProperty(dimsArb, seedArb, fc.constantFrom<DType>('f32', 'i32'), async ({ outer, n, m, inner }, seed, dtype) => {
        // f32: sums of up to m terms in f32 against the CPU's f64 accumulation.
        await compareWithCpu(
          b,
          (be, [src, ids]) => be.scatterAdd(src!, ids!, outer, n, inner),
          [data(dtype, seed, outer * m * inner), host('i32', seededInts(seed + 1, m, 0, n))],
          { rtol: 1e-5, atol: 1e-6 },
        );
      }),
      { numRuns: 20 },
    );
  });
});
