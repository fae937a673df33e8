import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { setBackend } from '../../../backends.js';
import { tensor } from '../../../ops/creation.js';
import { attention, packedAttention, rope } from '../../../ops/nn.js';
import { permute, reshape, slice } from '../../../ops/movement.js';
import { backward } from '../../../autodiff.js';
import type { Tensor } from '../../../tensor.js';
import { seedArb, seeded } from '../../../testing/seeded.js';
import { setCpuSimd } from '../wasm/features.js';

/** HRM's block before the packed kernel: split the heads out, RoPE on q and k, attention, merge the heads. */
function composed(qkv: Tensor, heads: number, tables: { cos: Tensor; sin: Tensor } | undefined): Tensor {
  const [batch, seq, width] = qkv.shape as [number, number, number];
  const d = width / (3 * heads);
  const split = permute(reshape(qkv, [batch, seq, 3 * heads, d]), [0, 2, 1, 3]);
  let q = slice(split, 1, 0, heads);
  let k = slice(split, 1, heads, 2 * heads);
  const v = slice(split, 1, 2 * heads, 3 * heads);
  if (tables) [q, k] = [rope(q, tables.cos, tables.sin), rope(k, tables.cos, tables.sin)];
  return reshape(permute(attention(q, k, v), [0, 2, 1, 3]), [batch, seq, heads * d]);
}

const shapeArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  seq: fc.integer({ min: 1, max: 9 }),
  heads: fc.integer({ min: 1, max: 3 }),
  halfDim: fc.integer({ min: 1, max: 5 }),
  withRope: fc.boolean(),
  simd: fc.boolean(),
  dtype: fc.constantFrom('f32' as const, 'f64' as const),
});

describe('cpu packedAttention', () => {
  afterEach(() => setCpuSimd(null));

  it('gives the values (to the bit, up to the sign of zero) of the composed split / RoPE / attention / merge, forward and backward', async () => {
    await setBackend('cpu');
    await fc.assert(
      fc.asyncProperty(shapeArb, seedArb, async ({ batch, seq, heads, halfDim, withRope, simd, dtype }, seed) => {
        setCpuSimd(simd);
        const d = 2 * halfDim;
        const values = seeded(seed, batch * seq * 3 * heads * d, -2, 2);
        const table = (s: number) => tensor(seeded(s, seq * d), { shape: [seq, d], dtype });
        const tables = withRope ? { cos: table(seed + 1), sin: table(seed + 2) } : undefined;
        const dy = tensor(seeded(seed + 3, batch * seq * heads * d), { shape: [batch, seq, heads * d], dtype });
        /** Output and gradient (for the upstream gradient dy) of `attend` on the same qkv. */
        const run = async (attend: (x: Tensor) => Tensor) => {
          const qkv = tensor(values, { shape: [batch, seq, 3 * heads * d], dtype });
          qkv.requiresGrad = true;
          const y = attend(qkv);
          backward(y, dy);
          // -0 and +0 compare equal: the composed path's gradient passes zero-filled slice gradients.
          const plain = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0);
          return { y: plain(await y.data()), dx: plain(await qkv.grad!.data()) };
        };
        const packed = await run((x) => packedAttention(x, { heads, ...(tables ? { rope: tables } : {}) }));
        const reference = await run((x) => composed(x, heads, tables));
        expect(packed.y).toEqual(reference.y);
        expect(packed.dx).toEqual(reference.dx);
      }),
      { numRuns: 40 },
    );
  });

  it('names the problem in a bad call', async () => {
    await setBackend('cpu');
    const qkv = tensor(seeded(1, 2 * 3 * 12), { shape: [2, 3, 12] });
    expect(() => packedAttention(qkv, { heads: 5 })).toThrow(/qkv must be \[batch, seq, 3 \* heads \* headDim\] with heads = 5, found \[2, 3, 12\]/);
    const table = tensor(seeded(2, 3 * 4), { shape: [3, 4] });
    expect(() => packedAttention(qkv, { heads: 1, rope: { cos: table, sin: table } })).not.toThrow();
    expect(() => packedAttention(qkv, { heads: 2, rope: { cos: table, sin: table } })).toThrow(/rope.cos must be \[3, 2\], found \[3, 4\]/);
    expect(() =>
      packedAttention(tensor(seeded(3, 9), { shape: [1, 1, 9] }), { heads: 1, rope: { cos: tensor([[1, 2, 3]]), sin: tensor([[1, 2, 3]]) } }),
    ).toThrow(/RoPE needs an even head dimension, found 3/);
  });
});
