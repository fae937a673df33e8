import { describe, expect, it } from 'vitest';
import type { MatmulParams, Storage } from '../../../backend.js';
import type { WebGpuEngine } from '../engine.js';
import { compareWithCpu, cpu, host, seeded, testBackend } from '../test-utils.js';
import { STAGED_COLS, type StagedShape, type StagedVariant, encodeStagedMatmul, stagedDepth, stagedShape } from './matmul-staged.js';

const gpu = await testBackend();

function stagedMatmul(engine: WebGpuEngine, a: Storage, b: Storage, p: MatmulParams, variant: StagedVariant, shape: StagedShape): Storage {
  const out = engine.createStorage('f32', p.batch * p.m * p.n);
  encodeStagedMatmul(engine, variant, a, b, out, p, shape);
  return out;
}

describe.skipIf(!gpu)('webgpu staged matmul shapes', () => {
  const b = gpu!;

  it('matches the CPU at every workgroup height, with slices shallower and deeper than the default', async () => {
    // m = 301 leaves a partial workgroup at every height; k = 300 (vec4) and 301 (scalar) end in a partial slice.
    const cases: [StagedVariant, number, number, boolean, boolean][] = [
      ['staged', 256, 0, false, true],
      ['staged', 128, 116, true, false],
      ['staged', 64, 32, false, false],
      ['staged-narrow', 256, 64, true, true],
      ['staged-narrow', 128, 0, false, false],
      ['staged-narrow', 64, 108, true, true],
    ];
    for (const [variant, lanes, wanted, transA, vec4] of cases) {
      const depth = wanted || stagedDepth(b.engine, STAGED_COLS[variant], lanes);
      const k = vec4 ? 300 : 301;
      const p: MatmulParams = { batch: 2, m: 301, n: 44, k, transA, transB: !transA, aBatchStride: 301 * k, bBatchStride: 0 };
      await compareWithCpu(
        b,
        (be, [x, y]) => (be === cpu ? be.matmul(x!, y!, p) : stagedMatmul(b.engine, x!, y!, p, variant, { lanes, depth })),
        [host('f32', seeded(lanes + depth, 2 * p.m * k)), host('f32', seeded(lanes + depth + 1, k * p.n))],
        { rtol: 1e-5, atol: 1e-6 * Math.sqrt(k) },
      );
    }
  });

  it('sizes workgroups and slices to the product', () => {
    const e = b.engine;
    // The step's weight gradient: 128 rows, not half of 256 idle; 1312-deep in 11 slices of 124.
    expect(stagedShape(e, 'staged', 128, 1312)).toEqual({ lanes: 128, depth: 124 });
    // The step's projections: 1312 rows in 11 workgroups of 128; k = 128 in two slices of 64, not 124 + 4.
    expect(stagedShape(e, 'staged', 1312, 128)).toEqual({ lanes: 128, depth: 64 });
    expect(stagedShape(e, 'staged-narrow', 1312, 128)).toEqual({ lanes: 128, depth: 128 });
    // Square and aligned: the widest workgroups; shallow products get a shallow shader.
    expect(stagedShape(e, 'staged', 1024, 20).lanes).toBe(256);
    expect(stagedShape(e, 'staged', 1024, 20).depth).toBe(32);
  });

  it('rejects a slice deeper than workgroup memory holds', () => {
    const p: MatmulParams = { batch: 1, m: 4, n: 4, k: 4, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const s = b.engine.createStorage('f32', 16);
    expect(() => encodeStagedMatmul(b.engine, 'staged', s, s, s, p, { lanes: 256, depth: 4096 })).toThrow(
      /slice depth 4096 must be a multiple of 4 from 4 to \d+ at 256 rows/,
    );
    b.engine.release(s);
  });
});
