import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../../backend.js';
import { compareWithCpu, host, seedArb, seeded, seededInts, testBackend, upload } from '../test-utils.js';

const gpu = await testBackend();
const dimsArb = fc.record({
  outer: fc.integer({ min: 1, max: 4 }),
  n: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(300)),
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

  it('ids outside [0, n): gather writes zeros and scatterAdd skips them (the CPU backend throws instead)', async () => {
    const x = upload(b, host('f32', [1, 2, 3, 4]));
    const ids = upload(b, host('i32', [1, 7, -1, 0]));
    const gathered = b.gather(x, ids, 1, 2, 2);
    expect(Array.from(await b.read(gathered))).toEqual([3, 4, 0, 0, 0, 0, 1, 2]);
    const src = upload(b, host('f32', [1, 2, 3, 4, 5, 6, 7, 8]));
    const scattered = b.scatterAdd(src, ids, 1, 2, 2);
    expect(Array.from(await b.read(scattered))).toEqual([7, 8, 1, 2]);
    for (const s of [x, ids, gathered, src, scattered]) b.free(s);
  });
});
