import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType, ReduceOp } from '../../../backend.js';
import { compareWithCpu, cpu, host, seedArb, seeded, seededInts, testBackend, upload } from '../test-utils.js';
import { reduce as gpuReduce, type ReduceVariant } from './reduce.js';

const gpu = await testBackend();
const OPS: ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

// Dimensions around the workgroup sizes and the rows variant's chunking (rows over 512 split into 256s).
const dimsArb = fc.record({
  outer: fc.integer({ min: 1, max: 5 }),
  reduce: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constantFrom(63, 255, 256, 300, 513, 1025, 3000)),
  inner: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(65)),
});

function data(dtype: DType, seed: number, n: number, op: ReduceOp) {
  if (dtype === 'bool') return host('bool', seededInts(seed, n, 0, 2));
  if (dtype === 'i32') return host('i32', seededInts(seed, n, op === 'prod' ? -2 : -50, op === 'prod' ? 3 : 50));
  // Products stay near 1 so long rows neither overflow nor vanish; ties make arg ops pick first indices.
  if (op === 'prod') return host('f32', seeded(seed, n, 0.9, 1.1));
  return host(
    'f32',
    seeded(seed, n, -4, 4).map((v) => (op.startsWith('arg') ? Math.round(v) : v)),
  );
}

describe.skipIf(!gpu)('webgpu reduce', () => {
  const b = gpu!;

  for (const op of OPS) {
    it(`${op} over [outer, reduce, inner] for f32, i32 and bool, both variants`, async () => {
      const variantArb = fc.constantFrom<ReduceVariant>('rows', 'tree');
      await fc.assert(
        fc.asyncProperty(dimsArb, seedArb, fc.constantFrom<DType>('f32', 'i32', 'bool'), variantArb, async ({ outer, reduce, inner }, seed, dtype, variant) => {
          const x = data(dtype, seed, outer * reduce * inner, op);
          const run = (be: typeof b | typeof cpu, s: Parameters<typeof cpu.reduce>[1]) =>
            be === b ? gpuReduce(b.engine, op, s, outer, reduce, inner, variant) : be.reduce(op, s, outer, reduce, inner);
          const {
            cpu: [expected],
          } = await compareWithCpu(b, (be, [s]) => run(be, s!), [x], {
            // f32 sums and products accumulate in f32 on the GPU against the CPU's f64; the error
            // grows with the row length (checked more precisely against sum |x| below).
            rtol: op === 'sum' || op === 'prod' ? 1e-3 : 0,
            atol: op === 'sum' ? 1e-4 * reduce : 0,
          });
          expect(expected).toBeDefined();
        }),
        { numRuns: 10 },
      );
    });
  }

  it('f32 sums agree within 1e-5 relative to sum |x| (f32 accumulation, row length up to 4096)', async () => {
    for (const [outer, reduce, inner] of [
      [2, 4096, 1],
      [3, 300, 7],
      [1, 17, 1000],
      [4100, 130, 1],
    ] as const) {
      const values = seeded(outer * reduce + inner, outer * reduce * inner, -1, 1);
      const {
        gpu: [g],
        cpu: [c],
      } = await compareWithCpu(b, (be, [s]) => be.reduce('sum', s!, outer, reduce, inner), [host('f32', values)], { rtol: Infinity });
      const absSum = await (async () => {
        const s = upload(cpu, host('f32', values.map(Math.abs)));
        const r = cpu.reduce('sum', s, outer, reduce, inner);
        const out = await cpu.read(r);
        cpu.free(s);
        cpu.free(r);
        return out;
      })();
      for (let i = 0; i < g!.length; i++) expect(Math.abs(g![i]! - c![i]!)).toBeLessThanOrEqual(1e-5 * absSum[i]!);
    }
  });

  it('NaN propagates through max and min, and arg reductions pick the first NaN', async () => {
    const x = host('f32', [1, Number.NaN, 5, Number.NaN, -2, 7]);
    for (const op of ['max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
      await compareWithCpu(b, (be, [s]) => be.reduce(op, s!, 1, 6, 1), [x]);
      await compareWithCpu(b, (be, [s]) => be.reduce(op, s!, 1, 300, 1), [
        host(
          'f32',
          Array.from({ length: 300 }, (_, i) => (i === 200 || i === 250 ? Number.NaN : i % 7)),
        ),
      ]);
    }
  });

  it('empty axes: sum is 0 and prod is 1; max of an empty axis is an error; empty outputs work', async () => {
    await compareWithCpu(b, (be, [s]) => be.reduce('sum', s!, 3, 0, 2), [host('f32', [])]);
    await compareWithCpu(b, (be, [s]) => be.reduce('prod', s!, 3, 0, 2), [host('i32', [])]);
    await compareWithCpu(b, (be, [s]) => be.reduce('max', s!, 0, 5, 2), [host('f32', [])]);
    const empty = b.alloc('f32', 0);
    expect(() => b.reduce('max', empty, 2, 0, 1)).toThrow(/empty axis/);
    b.free(empty);
  });

  it('many outputs with short rows (one thread per output)', async () => {
    const outer = 70000;
    await compareWithCpu(b, (be, [s]) => be.reduce('argmax', s!, outer, 3, 1), [host('i32', seededInts(9, outer * 3, -5, 5))]);
  });
});
