/**
 * One catalogue of op cases shared by the test suites: the f64 finite-difference gradient check
 * and the cross-backend suite (every backend against the CPU in f64, values and gradients).
 * A case builds its inputs from a seeded Rng and four random sizes in [1, 4].
 */
import type { Rng } from '../random.js';
import { shapeSize } from '../shape.js';
import type { Tensor } from '../tensor.js';
import * as ew from '../ops/elementwise.js';
import { embedding, gather } from '../ops/indexing.js';
import { matmul, matmulT } from '../ops/matmul.js';
import * as mv from '../ops/movement.js';
import * as nn from '../ops/nn.js';
import * as rd from '../ops/reduce.js';

/** An input: a differentiable float tensor, a float constant (mask, table) or i32 ids. */
export interface CaseInput {
  shape: number[];
  values: Float64Array | Int32Array;
  kind: 'param' | 'constant' | 'ids';
}

export interface OpCase {
  name: string;
  build: (rng: Rng, dims: number[]) => { inputs: CaseInput[]; fn: (...xs: Tensor[]) => Tensor };
  /** The gradient may legitimately be all zero (relu of negative inputs). */
  mayVanish?: boolean;
}

/** Values in [-range, range] whose magnitude is at least `gap` (keeps inputs away from kinks). */
export function randomValues(n: number, rng: Rng, range = 1, gap = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mag = gap + rng.uniform() * (range - gap);
    out[i] = rng.uniform() < 0.5 ? -mag : mag;
  }
  return out;
}

const param = (rng: Rng, shape: number[], range = 1, gap = 0): CaseInput => ({ shape, values: randomValues(shapeSize(shape), rng, range, gap), kind: 'param' });
const constant = (shape: number[], values: Float64Array): CaseInput => ({ shape, values, kind: 'constant' });
const ids = (rng: Rng, shape: number[], n: number): CaseInput => ({
  shape,
  values: Int32Array.from({ length: shapeSize(shape) }, () => rng.int(0, n - 1)),
  kind: 'ids',
});

/** A case whose inputs are all differentiable, with shapes from the sizes. */
function simple(
  name: string,
  shapes: (d: number[]) => number[][],
  fn: (...xs: Tensor[]) => Tensor,
  opts: { range?: number; gap?: number; mayVanish?: boolean } = {},
): OpCase {
  return { name, mayVanish: opts.mayVanish, build: (rng, d) => ({ inputs: shapes(d).map((s) => param(rng, s, opts.range, opts.gap)), fn }) };
}

export const OP_CASES: OpCase[] = [
  simple('add (broadcast)', ([a, b]) => [[a!, b!], [b!]], ew.add),
  simple(
    'sub (broadcast)',
    ([a, b]) => [
      [a!, 1],
      [a!, b!],
    ],
    ew.sub,
  ),
  simple(
    'mul (broadcast)',
    ([a, b, c]) => [
      [a!, b!, c!],
      [b!, 1],
    ],
    ew.mul,
  ),
  simple(
    'div',
    ([a, b]) => [
      [a!, b!],
      [a!, b!],
    ],
    ew.div,
    { gap: 0.3 },
  ),
  simple(
    'pow',
    ([a, b]) => [
      [a!, b!],
      [a!, b!],
    ],
    (x, y) => ew.pow(ew.abs(x), y),
    { gap: 0.3 },
  ),
  simple(
    'pow (scalar exponent)',
    ([a]) => [[a!]],
    (x) => ew.pow(x, 3),
  ),
  simple('maximum', ([a, b]) => [[a!, b!], [b!]], ew.maximum, { gap: 0.05 }),
  simple(
    'minimum',
    ([a, b]) => [
      [a!, b!],
      [a!, b!],
    ],
    ew.minimum,
    { gap: 0.05 },
  ),
  simple('neg', ([a, b]) => [[a!, b!]], ew.neg),
  simple('exp', ([a, b]) => [[a!, b!]], ew.exp),
  simple(
    'log',
    ([a, b]) => [[a!, b!]],
    (x) => ew.log(ew.abs(x)),
    { gap: 0.2 },
  ),
  simple(
    'sqrt',
    ([a]) => [[a!]],
    (x) => ew.sqrt(ew.abs(x)),
    { gap: 0.2 },
  ),
  simple(
    'rsqrt',
    ([a]) => [[a!]],
    (x) => ew.rsqrt(ew.abs(x)),
    { gap: 0.2 },
  ),
  simple('tanh', ([a, b]) => [[a!, b!]], ew.tanh),
  simple('sigmoid', ([a, b]) => [[a!, b!]], ew.sigmoid, { range: 4 }),
  simple('silu', ([a, b]) => [[a!, b!]], ew.silu, { range: 4 }),
  simple('relu', ([a, b]) => [[a!, b!]], ew.relu, { gap: 0.05, mayVanish: true }),
  simple('abs', ([a, b]) => [[a!, b!]], ew.abs, { gap: 0.05 }),
  simple('square', ([a]) => [[a!]], ew.square),
  simple('reciprocal', ([a]) => [[a!]], ew.reciprocal, { gap: 0.3 }),
  simple(
    'sin / cos',
    ([a]) => [[a!]],
    (x) => ew.mul(ew.sin(x), ew.cos(x)),
  ),
  simple(
    'where',
    ([a, b]) => [[a!, b!], [a!, b!], [b!]],
    (c, x, y) => ew.where(ew.gt(c!, 0), x!, y!),
  ),
  simple(
    'sum (axes)',
    ([a, b, c]) => [[a!, b!, c!]],
    (x) => rd.sum(x, [0, 2]),
  ),
  simple(
    'sum (keepdim)',
    ([a, b]) => [[a!, b!]],
    (x) => rd.sum(x, -1, true),
  ),
  simple(
    'mean',
    ([a, b, c]) => [[a!, b!, c!]],
    (x) => rd.mean(x, 1),
  ),
  simple(
    'max',
    ([a, b]) => [[a!, b!]],
    (x) => rd.max(x, -1),
  ),
  simple(
    'min (all)',
    ([a, b]) => [[a!, b!]],
    (x) => rd.min(x),
  ),
  simple(
    'reshape',
    ([a, b]) => [[a!, b!]],
    (x) => ew.mul(mv.reshape(x, [x.shape[1]!, x.shape[0]!]), mv.transpose(x)),
  ),
  simple(
    'permute',
    ([a, b, c]) => [[a!, b!, c!]],
    (x) => mv.permute(x, [2, 0, 1]),
  ),
  simple(
    'transpose',
    ([a, b]) => [[a!, b!]],
    (x) => mv.transpose(x),
  ),
  simple(
    'slice',
    ([a, b]) => [[a!, b! + 2]],
    (x) => mv.slice(x, 1, 1, -1),
  ),
  simple(
    'concat',
    ([a, b, c]) => [
      [a!, b!],
      [a!, c!],
    ],
    (x, y) => mv.concat([x!, y!, x!], 1),
  ),
  simple(
    'stack',
    ([a, b]) => [
      [a!, b!],
      [a!, b!],
    ],
    (x, y) => mv.stack([x!, y!], 1),
  ),
  simple(
    'expand',
    ([a]) => [[a!, 1]],
    (x) => mv.expand(x, [3, x.shape[0]!, 4]),
  ),
  simple(
    'matmul',
    ([a, b, c]) => [
      [a!, b!],
      [b!, c!],
    ],
    matmul,
  ),
  simple(
    'matmul (batched, broadcast)',
    ([a, b, c, d]) => [
      [d!, 1, a!, b!],
      [2, b!, c!],
    ],
    matmul,
  ),
  simple('matmul (vector)', ([a, b]) => [[a!], [a!, b!]], matmul),
  simple(
    'matmulT (both transposed)',
    ([a, b, c]) => [
      [2, b!, a!],
      [2, c!, b!],
    ],
    (x, y) => matmulT(x!, y!, true, true),
  ),
  simple(
    'linear',
    ([a, b, c]) => [[a!, 2, b!], [c!, b!], [c!]],
    (x, w, bias) => nn.linear(x!, w!, bias),
  ),
  simple(
    'softmax',
    ([a, b]) => [[a!, b! + 1]],
    (x) => nn.softmax(x),
    { range: 3 },
  ),
  simple(
    'softmax (axis 0)',
    ([a, b]) => [[a! + 1, b!]],
    (x) => nn.softmax(x, 0),
    { range: 3 },
  ),
  simple(
    'logSoftmax',
    ([a, b]) => [[a!, b! + 1]],
    (x) => nn.logSoftmax(x),
    { range: 3 },
  ),
  simple(
    'rmsNorm',
    ([a, b]) => [[a!, b! + 1]],
    (x) => nn.rmsNorm(x, 1e-5),
    { gap: 0.1 },
  ),
  simple(
    'swiglu',
    ([a, b]) => [[a!, 2 * b!]],
    (x) => nn.swiglu(x),
    { range: 3 },
  ),
  {
    name: 'gather (axis 1, repeated ids)',
    build: (rng, [a, b, c]) => ({ inputs: [param(rng, [a!, b! + 1, c!]), ids(rng, [5], b! + 1)], fn: (t, i) => gather(t!, i!, 1) }),
  },
  {
    name: 'embedding',
    build: (rng, [a, b]) => ({ inputs: [param(rng, [a! + 1, b!]), ids(rng, [2, 3], a! + 1)], fn: (t, i) => embedding(t!, i!) }),
  },
  ...(['crossEntropy', 'stablemaxCrossEntropy'] as const).map(
    (kind): OpCase => ({
      name: `${kind} (ignored labels, mean)`,
      build: (rng, [a, b, c]) => {
        const labels = ids(rng, [a!, b! + 1], c! + 1);
        labels.values[0] = -100;
        // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the case is one of the two loss functions, named by kind
        return { inputs: [param(rng, [a!, b! + 1, c! + 1], 3), labels], fn: (x, l) => nn[kind](x!, l!, { reduction: 'mean' }) };
      },
    }),
  ),
  {
    name: 'bceWithLogits (constant targets)',
    build: (rng, [a, b]) => ({
      inputs: [
        param(rng, [a!, b!], 4),
        constant(
          [a!, b!],
          Float64Array.from({ length: a! * b! }, () => rng.uniform()),
        ),
      ],
      fn: (x, t) => nn.bceWithLogits(x!, t!, { reduction: 'sum' }),
    }),
  },
  {
    name: 'rope',
    build: (rng, [a, b, c, d]) => {
      const dim = 2 * d!;
      // Arbitrary tables (not only rotate-half ones, whose halves repeat): the backward is the exact adjoint.
      const table = () => constant([c!, dim], randomValues(c! * dim, rng));
      return { inputs: [param(rng, [a!, b!, c!, dim]), table(), table()], fn: (x, co, si) => nn.rope(x!, co!, si!) };
    },
  },
  {
    name: 'attention (with mask)',
    build: (rng, [a, b, c, d]) => {
      const [B, H, S, D] = [a!, b!, c! + 1, d! + 1];
      const mask = Float64Array.from({ length: S * (S + 1) }, (_, i) => (i % (S + 2) === 1 ? -Infinity : rng.uniform() - 0.5));
      return {
        inputs: [param(rng, [B, H, S, D], 1.5), param(rng, [B, H, S + 1, D], 1.5), param(rng, [B, H, S + 1, D], 1.5), constant([S, S + 1], mask)],
        fn: (q, k, v, m) => nn.attention(q!, k!, v!, { mask: m! }),
      };
    },
  },
  {
    name: 'attention (no mask, longer sequence)',
    build: (rng, [a, b, c]) => ({
      inputs: [param(rng, [1, a!, 9 + b!, 2 * c!], 1.5), param(rng, [1, a!, 5 + c!, 2 * c!], 1.5), param(rng, [1, a!, 5 + c!, 2 * c!], 1.5)],
      fn: (q, k, v) => nn.attention(q!, k!, v!),
    }),
  },
  {
    name: 'packedAttention (RoPE)',
    build: (rng, [a, b, c, d]) => {
      const [B, H, S, D] = [a!, b!, c! + 2, 2 * d!];
      // Arbitrary tables, as for rope: q and k's gradients go through the exact adjoint.
      const table = () => constant([S, D], randomValues(S * D, rng));
      return {
        inputs: [param(rng, [B, S, 3 * H * D], 1.5), table(), table()],
        fn: (qkv, co, si) => nn.packedAttention(qkv!, { heads: H, rope: { cos: co!, sin: si! } }),
      };
    },
  },
  {
    name: 'packedAttention (no RoPE, odd head size)',
    build: (rng, [a, b, c, d]) => ({
      inputs: [param(rng, [a!, 4 + c!, 3 * b! * (2 * d! - 1)], 1.5)],
      fn: (qkv) => nn.packedAttention(qkv!, { heads: b!, scale: 0.7 }),
    }),
  },
];
