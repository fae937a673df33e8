import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttentionParams } from '../../../backend.js';
import { cpu, host, runOnBoth, seeded, testBackend, useVariant } from '../test-utils.js';
import { attention, attentionBackward } from './attention.js';
import { expectAttentionClose, testedAttentionLayouts } from './test-attention.js';

const gpu = await testBackend();

// Sequence lengths around the 16..64-row workgroups (times 1..3 rows per thread), the 32-row
// tiles, the 8-lane subgroups, and HRM's 82.
const seqArb = fc.oneof(fc.constantFrom(1, 3, 17, 33, 65, 82), fc.integer({ min: 1, max: 70 }));
// 6 exercises the zero padding to a multiple of 4 (64 is covered by the HRM-sized case below).
const dimArb = fc.constantFrom(4, 6, 16);

/** A mask with random -Infinity and finite entries; with `blockRow`, query row 0 is fully masked. */
function maskValues(seed: number, seqQ: number, seqK: number, blockRow: boolean): number[] {
  return seeded(seed, seqQ * seqK, -2, 1).map((v, i) => (v < -1.5 || (blockRow && i < seqK) ? -Infinity : v));
}

for (const layout of testedAttentionLayouts(gpu)) {
  describe.skipIf(!gpu)(`webgpu fused attention, ${layout} layout`, () => {
    useVariant('attention', layout);
    const engine = gpu?.engine!; // collected even when the suite is skipped

    it('forward and backward match the CPU on random shapes, with and without a mask', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 2 }),
          fc.integer({ min: 1, max: 2 }),
          seqArb,
          seqArb,
          dimArb,
          fc.constantFrom('none', 'random', 'blocked-row'),
          fc.integer({ min: 1, max: 2 ** 30 }),
          async (batch, heads, seqQ, seqK, headDim, maskKind, seed) => {
            const p: AttentionParams = { batch, heads, seqQ, seqK, headDim, scale: 1 / Math.sqrt(headDim) };
            const bh = batch * heads;
            const inputs = [
              host('f32', seeded(seed, bh * seqQ * headDim, -2, 2)),
              host('f32', seeded(seed + 1, bh * seqK * headDim, -2, 2)),
              host('f32', seeded(seed + 2, bh * seqK * headDim)),
              host('f32', seeded(seed + 3, bh * seqQ * headDim)),
            ];
            const withMask = maskKind !== 'none';
            if (withMask) inputs.push(host('f32', maskValues(seed + 4, seqQ, seqK, maskKind === 'blocked-row')));
            const out = await runOnBoth(
              gpu!,
              (b, [q, k, v, dO, mask]) => {
                const f = b === cpu ? b.attention(q!, k!, v!, p, mask) : attention(engine, q!, k!, v!, p, mask);
                const g =
                  b === cpu ? b.attentionBackward(q!, k!, v!, f.o, f.lse, dO!, p, mask) : attentionBackward(engine, q!, k!, v!, f.o, f.lse, dO!, p, mask);
                return [f.o, f.lse, g.dq, g.dk, g.dv];
              },
              inputs,
            );
            const terms = seqQ + seqK + headDim;
            ['o', 'lse', 'dq', 'dk', 'dv'].forEach((name, i) => expectAttentionClose(out.gpu.values[i]!, out.cpu.values[i]!, terms, name));
          },
        ),
        { numRuns: 4 },
      );
    });

    it('handles HRM-sized heads (seq 82, headDim 64)', async () => {
      const p: AttentionParams = { batch: 2, heads: 2, seqQ: 82, seqK: 82, headDim: 64, scale: 1 / 8 };
      const n = 4 * 82 * 64;
      const out = await runOnBoth(
        gpu!,

        (b, [q, k, v, dO]) => {
          const f = b === cpu ? b.attention(q!, k!, v!, p) : attention(engine, q!, k!, v!, p);
          const g = b === cpu ? b.attentionBackward(q!, k!, v!, f.o, f.lse, dO!, p) : attentionBackward(engine, q!, k!, v!, f.o, f.lse, dO!, p);
          return [f.o, f.lse, g.dq, g.dk, g.dv];
        },
        [host('f32', seeded(1, n, -2, 2)), host('f32', seeded(2, n, -2, 2)), host('f32', seeded(3, n)), host('f32', seeded(4, n))],
      );
      ['o', 'lse', 'dq', 'dk', 'dv'].forEach((name, i) => expectAttentionClose(out.gpu.values[i]!, out.cpu.values[i]!, 82 + 82 + 64, name));
    });

    it('a fully masked row attends to nothing: output and gradients 0, lse -Infinity', async () => {
      const p: AttentionParams = { batch: 1, heads: 1, seqQ: 2, seqK: 3, headDim: 4, scale: 0.5 };
      const mask = [-Infinity, -Infinity, -Infinity, 0, 0, 0];
      const out = await runOnBoth(
        gpu!,

        (b, [q, k, v, dO, m]) => {
          const f = b === cpu ? b.attention(q!, k!, v!, p, m) : attention(engine, q!, k!, v!, p, m);
          const g = b === cpu ? b.attentionBackward(q!, k!, v!, f.o, f.lse, dO!, p, m) : attentionBackward(engine, q!, k!, v!, f.o, f.lse, dO!, p, m);
          return [f.o, f.lse, g.dq];
        },
        [host('f32', seeded(1, 8)), host('f32', seeded(2, 12)), host('f32', seeded(3, 12)), host('f32', seeded(4, 8)), host('f32', mask)],
      );
      expect(Array.from(out.gpu.values[0]!.slice(0, 4))).toEqual([0, 0, 0, 0]);
      expect(out.gpu.values[1]![0]).toBe(-Infinity);
      expect(Array.from(out.gpu.values[2]!.slice(0, 4))).toEqual([0, 0, 0, 0]);
    });
  });
}
