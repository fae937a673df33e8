import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../../backend.js';
import { compareWithCpu, host, seedArb, seeded, seededInts, testBackend } from '../test-utils.js';

const gpu = await testBackend();
const dtypeArb = fc.constantFrom<DType>('f32', 'i32', 'bool');

function data(dtype: DType, seed: number, n: number) {
  return dtype === 'f32' ? host('f32', seeded(seed, n)) : host(dtype, seededInts(seed, n, 0, dtype === 'bool' ? 2 : 1000));
}

/** A random view into a base buffer: permuted, sliced, stepped (possibly negative) and broadcast dims, rank 0..7. */
const viewArb = fc
  .array(fc.record({ size: fc.integer({ min: 1, max: 4 }), step: fc.constantFrom(1, 1, 2, -1, 0) }), { minLength: 0, maxLength: 7 })
  .chain((dims) =>
    fc.tuple(
      fc.constant(dims),
      fc.shuffledSubarray(
        dims.map((_, d) => d),
        { minLength: dims.length, maxLength: dims.length },
      ),
    ),
  )
  .map(([dims, order]) => {
    // Lay the base out contiguously over |step| * size elements per dim, then visit dims in `order`.
    const extents = dims.map((d) => Math.max(1, Math.abs(d.step) * d.size));
    const baseStrides = extents.map((_, d) => extents.slice(d + 1).reduce((a, b) => a * b, 1));
    const baseSize = extents.reduce((a, b) => a * b, 1) + 3;
    let offset = 2;
    const shape: number[] = [];
    const strides: number[] = [];
    for (const d of order) {
      const { size, step } = dims[d]!;
      shape.push(size);
      strides.push(step * baseStrides[d]!);
      if (step < 0) offset += (size - 1) * -step * baseStrides[d]!;
    }
    return { baseSize, view: { shape, strides, offset } };
  });

describe.skipIf(!gpu)('webgpu movement kernels', () => {
  const b = gpu!;

  it('stridedCopy materialises permuted, sliced, reversed and broadcast views up to rank 7', async () => {
    await fc.assert(
      fc.asyncProperty(viewArb, seedArb, dtypeArb, async ({ baseSize, view }, seed, dtype) => {
        await compareWithCpu(b, (be, [x]) => be.stridedCopy(x!, view), [data(dtype, seed, baseSize)]);
      }),
      { numRuns: 40 },
    );
  });

  it('stridedCopy of a large transpose (2D dispatch path not needed, many workgroups)', async () => {
    const rows = 300;
    const cols = 257;
    await compareWithCpu(b, (be, [x]) => be.stridedCopy(x!, { shape: [cols, rows], strides: [1, cols], offset: 0 }), [data('f32', 3, rows * cols)]);
  });

  it('stridedCopy rejects views that reach outside the storage', () => {
    const x = b.fill('f32', 10, 1);
    expect(() => b.stridedCopy(x, { shape: [4], strides: [4], offset: 0 })).toThrow(/outside/);
    b.free(x);
  });

  it('copyRegion writes a column block of every row and leaves the rest', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 5 }),
        seedArb,
        dtypeArb,
        async (rows, srcRowLen, extra, offsetPick, seed, dtype) => {
          const dstRowLen = srcRowLen + extra;
          const colOffset = Math.min(offsetPick, extra);
          await compareWithCpu(
            b,
            (be, [src, dst]) => {
              be.copyRegion(src!, dst!, rows, srcRowLen, dstRowLen, colOffset);
              return dst!;
            },
            [data(dtype, seed, rows * srcRowLen), data(dtype, seed + 1, rows * dstRowLen)],
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});
