import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackedAttentionParams } from '../../../backend.js';
import { cpu, host, runOnBoth, seedArb, seeded, testBackend, upload, useVariant, type HostTensor } from '../test-utils.js';
import { expectAttentionClose, testedAttentionLayouts } from './test-attention.js';

const gpu = await testBackend();

// Sequence lengths around the attention kernels' row groups and tiles, and HRM's 81 and 82.
const seqArb = fc.oneof(fc.constantFrom(1, 17, 33, 65, 81, 90), fc.integer({ min: 1, max: 90 }));
// Without RoPE odd head sizes too (padded to a multiple of 4); with RoPE even ones. Few distinct
// padded widths, so that few attention pipelines are compiled (slow on lavapipe).
const headsArb = fc.oneof(
  fc.record({ headDim: fc.constantFrom(1, 3, 5, 7), withRope: fc.constant(false) }),
  fc.record({ headDim: fc.constantFrom(2, 6, 8), withRope: fc.constant(true) }),
);

/** Compares o, lse and d qkv (for a random upstream gradient dO) with the CPU's on random qkv and, with RoPE, random tables. */
async function compareOnRandomInputs(p: PackedAttentionParams, withRope: boolean, seed: number): Promise<void> {
  const { batch, seq, heads, headDim } = p;
  const width = heads * headDim;
  const inputs: HostTensor[] = [host('f32', seeded(seed, batch * seq * 3 * width, -2, 2)), host('f32', seeded(seed + 1, batch * seq * width))];
  // Arbitrary tables (the halves differ), so that the adjoint is not the inverse rotation.
  if (withRope) inputs.push(host('f32', seeded(seed + 2, seq * headDim)), host('f32', seeded(seed + 3, seq * headDim)));
  const out = await runOnBoth(
    gpu!,
    (b, [qkv, dO, cos, sin]) => {
      const rope = cos && sin ? { cos, sin } : undefined;
      const run = b === cpu ? b : gpu!;
      const f = run.packedAttention(qkv!, p, rope);
      return [f.o, f.lse, run.packedAttentionBackward(qkv!, f.o, f.lse, dO!, p, rope)];
    },
    inputs,
  );
  expect(out.gpu.dtypes).toEqual(['f32', 'f32', 'f32']);
  ['o', 'lse', 'dqkv'].forEach((name, i) => expectAttentionClose(out.gpu.values[i]!, out.cpu.values[i]!, 2 * seq + headDim, name));
}

for (const layout of testedAttentionLayouts(gpu)) {
  describe.skipIf(!gpu)(`webgpu packedAttention, ${layout} attention layout`, () => {
    useVariant('attention', layout);

    it('matches the CPU forward (o, lse) and backward (d qkv) on random shapes, with and without RoPE', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          seqArb,
          headsArb,
          seedArb,
          async (batch, heads, seq, { headDim, withRope }, seed) => {
            await compareOnRandomInputs({ batch, seq, heads, headDim, scale: 1 / Math.sqrt(headDim) }, withRope, seed);
          },
        ),
        { numRuns: 6 },
      );
    });

    it("handles HRM's h128 block (seq 81, 4 heads of 32, RoPE)", async () => {
      await compareOnRandomInputs({ batch: 2, seq: 81, heads: 4, headDim: 32, scale: 1 / Math.sqrt(32) }, true, 7);
    });
  });
}

describe.skipIf(!gpu)('webgpu packedAttention arguments', () => {
  it('names the problem in a bad call', () => {
    const p: PackedAttentionParams = { batch: 1, seq: 2, heads: 1, headDim: 3, scale: 1 };
    const qkv = upload(gpu!, host('f32', seeded(1, 18)));
    const table = upload(gpu!, host('f32', seeded(2, 6)));
    expect(() => gpu!.packedAttention(qkv, p, { cos: table, sin: table })).toThrow(/RoPE needs an even headDim, found 3/);
    expect(() => gpu!.packedAttention(qkv, { ...p, heads: 2 })).toThrow(/qkv has 18 elements, expected 36/);
    for (const s of [qkv, table]) gpu!.free(s);
  });
});
