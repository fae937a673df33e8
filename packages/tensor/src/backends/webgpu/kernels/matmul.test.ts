import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MatmulParams } from '../../../backend.js';
import { compareWithCpu, cpu, host, seeded, testBackend } from '../test-utils.js';
import { MATMUL_VARIANTS, matmul, matmulShapeClass, tuneMatmul } from './matmul.js';

const gpu = await testBackend();

// Sizes around the 4-wide register blocks and the 32/64-wide workgroup tiles, HRM's 82, and vec4-aligned ones.
const dimArb = fc.oneof(fc.constantFrom(1, 3, 4, 8, 17, 33, 64, 65, 82), fc.integer({ min: 1, max: 70 }));

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  m: dimArb,
  n: dimArb,
  k: dimArb,
  transA: fc.boolean(),
  transB: fc.boolean(),
  broadcastA: fc.boolean(),
  broadcastB: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

/**
 * The GPU sums k products in f32 while the CPU oracle sums in f64: the rounding error grows like
 * sqrt(k) times the size of the terms (inputs lie in [-1, 1], so terms are at most 1). An output
 * near zero by cancellation has no meaningful relative error, hence the absolute part.
 */
const tolerance = (k: number) => ({ rtol: 1e-5, atol: 1e-6 * Math.sqrt(k) });

describe.skipIf(!gpu)('webgpu matmul', () => {
  const b = gpu!;

  for (const variant of MATMUL_VARIANTS) {
    it(`${variant}: matches the CPU on random batched shapes, transposes and broadcasts`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          const p: MatmulParams = {
            batch: c.batch,
            m: c.m,
            n: c.n,
            k: c.k,
            transA: c.transA,
            transB: c.transB,
            aBatchStride: c.broadcastA ? 0 : c.m * c.k,
            bBatchStride: c.broadcastB ? 0 : c.k * c.n,
          };
          const aSize = c.broadcastA ? c.m * c.k : c.batch * c.m * c.k;
          const bSize = c.broadcastB ? c.k * c.n : c.batch * c.k * c.n;
          await compareWithCpu(
            b,
            (be, [x, y]) => (be === cpu ? be.matmul(x!, y!, p) : matmul(b.engine, x!, y!, p, variant)),
            [host('f32', seeded(c.seed, aSize)), host('f32', seeded(c.seed + 1, bSize))],
            tolerance(c.k),
          );
        }),
        { numRuns: 8 },
      );
    });
  }

  it('handles k = 0 (zeros) and empty outputs', async () => {
    for (const variant of MATMUL_VARIANTS) {
      const p: MatmulParams = { batch: 2, m: 3, n: 5, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const { gpu: out } = await compareWithCpu(b, (be, [x, y]) => (be === cpu ? be.matmul(x!, y!, p) : matmul(b.engine, x!, y!, p, variant)), [
        host('f32', []),
        host('f32', []),
      ]);
      expect(Array.from(out[0]!)).toEqual(new Array(30).fill(0));
    }
  });

  it('matches the CPU at an HRM-like shape with vec4 loads', async () => {
    const p: MatmulParams = { batch: 1, m: 2 * 82, n: 96, k: 128, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    for (const variant of MATMUL_VARIANTS) {
      await compareWithCpu(
        b,
        (be, [x, y]) => (be === cpu ? be.matmul(x!, y!, p) : matmul(b.engine, x!, y!, p, variant)),
        [host('f32', seeded(7, p.m * p.k)), host('f32', seeded(8, p.k * p.n))],
        tolerance(p.k),
      );
    }
  });

  it('matches the CPU when k spans several slices of the staged variants (all transposes, both layouts)', async () => {
    // k = 300 (vec4 loads) and 301 (scalar) cross two slice boundaries at every supported depth.
    for (const [k, transA, transB, variant] of [
      [300, false, false, 'staged'],
      [300, true, true, 'staged'],
      [301, true, false, 'staged'],
      [301, false, true, 'staged'],
      [300, true, false, 'staged-narrow'],
      [301, false, true, 'staged-narrow'],
    ] as const) {
      const p: MatmulParams = { batch: 2, m: 37, n: 40, k, transA, transB, aBatchStride: 37 * k, bBatchStride: 0 };
      await compareWithCpu(
        b,
        (be, [x, y]) => (be === cpu ? be.matmul(x!, y!, p) : matmul(b.engine, x!, y!, p, variant)),
        [host('f32', seeded(k, 2 * p.m * k)), host('f32', seeded(k + 1, k * p.n))],
        tolerance(k),
      );
    }
  });

  it('tuneMatmul picks a variant for every shape class, which later calls use', async () => {
    const chosen = await tuneMatmul(b.engine);
    const classes = ['scalar', 'vec4'].flatMap((a) => ['large', 'small'].flatMap((w) => ['deep', 'shallow'].map((k) => `matmul/${a}/${w}/${k}`)));
    expect(Object.keys(chosen).sort()).toEqual(classes);
    for (const v of Object.values(chosen)) expect(MATMUL_VARIANTS).toContain(v);
    const p: MatmulParams = { batch: 1, m: 5, n: 6, k: 7, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    expect(chosen[matmulShapeClass(p)]).toBeDefined();
  });
});
