/**
 * Every differentiable op: analytic gradients against central finite differences in f64 on
 * random shapes (fast-check picks the shapes and the data seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradCheck, type GradCheckInput, randomValues } from '../testing/gradcheck.js';
import { Rng } from '../random.js';
import { setBackend } from '../backends.js';
import { tensor } from './creation.js';
import * as ew from './elementwise.js';
import { embedding, gather } from './indexing.js';
import { matmul, matmulT } from './matmul.js';
import * as mv from './movement.js';
import * as nn from './nn.js';
import * as rd from './reduce.js';
import type { Tensor } from '../tensor.js';
import { shapeSize } from '../shape.js';

await setBackend('cpu');

type Dims = number[];
interface Case {
  name: string;
  /** Input shapes from four random sizes in [1, 4]. */
  shapes: (d: Dims) => number[][];
  fn: (...xs: Tensor[]) => Tensor;
  /** Keeps inputs away from kinks and poles: |x| >= gap. */
  gap?: number;
  range?: number;
  /** The gradient may legitimately be all zero (relu of negative inputs). */
  mayVanish?: boolean;
}

const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 });

const cases: Case[] = [
  { name: 'add (broadcast)', shapes: ([a, b]) => [[a!, b!], [b!]], fn: ew.add },
  { name: 'sub (broadcast)', shapes: ([a, b]) => [[a!, 1], [a!, b!]], fn: ew.sub },
  { name: 'mul (broadcast)', shapes: ([a, b, c]) => [[a!, b!, c!], [b!, 1]], fn: ew.mul },
  { name: 'div', shapes: ([a, b]) => [[a!, b!], [a!, b!]], fn: ew.div, gap: 0.3 },
  { name: 'pow', shapes: ([a, b]) => [[a!, b!], [a!, b!]], fn: (x, y) => ew.pow(ew.abs(x), y), gap: 0.3 },
  { name: 'pow (scalar exponent)', shapes: ([a]) => [[a!]], fn: (x) => ew.pow(x, 3) },
  { name: 'maximum', shapes: ([a, b]) => [[a!, b!], [b!]], fn: ew.maximum, gap: 0.05 },
  { name: 'minimum', shapes: ([a, b]) => [[a!, b!], [a!, b!]], fn: ew.minimum, gap: 0.05 },
  { name: 'neg', shapes: ([a, b]) => [[a!, b!]], fn: ew.neg },
  { name: 'exp', shapes: ([a, b]) => [[a!, b!]], fn: ew.exp },
  { name: 'log', shapes: ([a, b]) => [[a!, b!]], fn: (x) => ew.log(ew.abs(x)), gap: 0.2 },
  { name: 'sqrt', shapes: ([a]) => [[a!]], fn: (x) => ew.sqrt(ew.abs(x)), gap: 0.2 },
  { name: 'rsqrt', shapes: ([a]) => [[a!]], fn: (x) => ew.rsqrt(ew.abs(x)), gap: 0.2 },
  { name: 'tanh', shapes: ([a, b]) => [[a!, b!]], fn: ew.tanh },
  { name: 'sigmoid', shapes: ([a, b]) => [[a!, b!]], fn: ew.sigmoid, range: 4 },
  { name: 'silu', shapes: ([a, b]) => [[a!, b!]], fn: ew.silu, range: 4 },
  { name: 'relu', shapes: ([a, b]) => [[a!, b!]], fn: ew.relu, gap: 0.05, mayVanish: true },
  { name: 'abs', shapes: ([a, b]) => [[a!, b!]], fn: ew.abs, gap: 0.05 },
  { name: 'square', shapes: ([a]) => [[a!]], fn: ew.square },
  { name: 'reciprocal', shapes: ([a]) => [[a!]], fn: ew.reciprocal, gap: 0.3 },
  { name: 'sin / cos', shapes: ([a]) => [[a!]], fn: (x) => ew.mul(ew.sin(x), ew.cos(x)) },
  { name: 'where', shapes: ([a, b]) => [[a!, b!], [a!, b!], [b!]], fn: (c, x, y) => ew.where(ew.gt(c, 0), x, y) },
  { name: 'sum (axes)', shapes: ([a, b, c]) => [[a!, b!, c!]], fn: (x) => rd.sum(x, [0, 2]) },
  { name: 'sum (keepdim)', shapes: ([a, b]) => [[a!, b!]], fn: (x) => rd.sum(x, -1, true) },
  { name: 'mean', shapes: ([a, b, c]) => [[a!, b!, c!]], fn: (x) => rd.mean(x, 1) },
  { name: 'max', shapes: ([a, b]) => [[a!, b!]], fn: (x) => rd.max(x, -1) },
  { name: 'min (all)', shapes: ([a, b]) => [[a!, b!]], fn: (x) => rd.min(x) },
  { name: 'reshape', shapes: ([a, b]) => [[a!, b!]], fn: (x) => ew.mul(mv.reshape(x, [x.shape[1]!, x.shape[0]!]), mv.transpose(x)) },
  { name: 'permute', shapes: ([a, b, c]) => [[a!, b!, c!]], fn: (x) => mv.permute(x, [2, 0, 1]) },
  { name: 'transpose', shapes: ([a, b]) => [[a!, b!]], fn: (x) => mv.transpose(x) },
  { name: 'slice', shapes: ([a, b]) => [[a!, b! + 2]], fn: (x) => mv.slice(x, 1, 1, -1) },
  { name: 'concat', shapes: ([a, b, c]) => [[a!, b!], [a!, c!]], fn: (x, y) => mv.concat([x, y, x], 1) },
  { name: 'stack', shapes: ([a, b]) => [[a!, b!], [a!, b!]], fn: (x, y) => mv.stack([x, y], 1) },
  { name: 'expand', shapes: ([a, b]) => [[a!, 1]], fn: (x) => mv.expand(x, [3, x.shape[0]!, 4]) },
  { name: 'matmul', shapes: ([a, b, c]) => [[a!, b!], [b!, c!]], fn: matmul },
  { name: 'matmul (batched, broadcast)', shapes: ([a, b, c, d]) => [[d!, 1, a!, b!], [2, b!, c!]], fn: matmul },
  { name: 'matmul (vector)', shapes: ([a, b]) => [[a!], [a!, b!]], fn: matmul },
  { name: 'matmulT (both transposed)', shapes: ([a, b, c]) => [[2, b!, a!], [2, c!, b!]], fn: (x, y) => matmulT(x, y, true, true) },
  { name: 'linear', shapes: ([a, b, c]) => [[a!, 2, b!], [c!, b!], [c!]], fn: (x, w, bias) => nn.linear(x, w, bias) },
  { name: 'softmax', shapes: ([a, b]) => [[a!, b! + 1]], fn: (x) => nn.softmax(x), range: 3 },
  { name: 'softmax (axis 0)', shapes: ([a, b]) => [[a! + 1, b!]], fn: (x) => nn.softmax(x, 0), range: 3 },
  { name: 'logSoftmax', shapes: ([a, b]) => [[a!, b! + 1]], fn: (x) => nn.logSoftmax(x), range: 3 },
  { name: 'rmsNorm', shapes: ([a, b]) => [[a!, b! + 1]], fn: (x) => nn.rmsNorm(x, 1e-5), gap: 0.1 },
  { name: 'swiglu', shapes: ([a, b]) => [[a!, 2 * b!]], fn: (x) => nn.swiglu(x), range: 3 },
];

describe('gradients match central finite differences (f64)', () => {
  for (const c of cases) {
    it(c.name, () => {
      fc.assert(
        fc.property(dims, fc.integer({ min: 1, max: 1 << 30 }), (d, seed) => {
          const rng = new Rng(seed);
          const inputs: GradCheckInput[] = c.shapes(d).map((shape) => ({ shape, values: randomValues(shapeSize(shape), rng, c.range ?? 1, c.gap ?? 0) }));
          const r = gradCheck(c.fn, inputs, seed);
          expect(r.maxRelError).toBeLessThan(1e-5);
          if (!c.mayVanish) expect(r.maxGrad).toBeGreaterThan(0);
        }),
        { numRuns: 12 },
      );
    });
  }

  it('max and maximum break ties the documented way', () => {
    const r = gradCheck((x) => rd.max(x, -1), [{ shape: [1, 3], values: new Float64Array([1, 3, 2]) }]);
    expect(r.maxRelError).toBeLessThan(1e-6);
  });
});

describe('gradients of ops with constant inputs', () => {
  const constantCase = (name: string, build: (rng: Rng, d: Dims) => { inputs: GradCheckInput[]; fn: (...xs: Tensor[]) => Tensor }) =>
    it(name, () => {
      fc.assert(
        fc.property(dims, fc.integer({ min: 1, max: 1 << 30 }), (d, seed) => {
          const { inputs, fn } = build(new Rng(seed), d);
          const r = gradCheck(fn, inputs, seed);
          expect(r.maxRelError).toBeLessThan(1e-5);
        }),
        { numRuns: 10 },
      );
    });

  const ids = (rng: Rng, m: number, n: number) => tensor(Int32Array.from({ length: m }, () => rng.int(0, n - 1)), { shape: [m] });

  constantCase('gather (axis 1, repeated ids)', (rng, [a, b, c]) => {
    const x: GradCheckInput = { shape: [a!, b! + 1, c!], values: randomValues(a! * (b! + 1) * c!, rng) };
    const idx: GradCheckInput = { shape: [5], values: new Float64Array(5), constant: ids(rng, 5, b! + 1) };
    return { inputs: [x, idx], fn: (t, i) => gather(t, i!, 1) };
  });

  constantCase('embedding', (rng, [a, b]) => {
    const table: GradCheckInput = { shape: [a! + 1, b!], values: randomValues((a! + 1) * b!, rng) };
    const idx: GradCheckInput = { shape: [6], values: new Float64Array(6), constant: ids(rng, 6, a! + 1) };
    return { inputs: [table, idx], fn: (t, i) => embedding(t, mv.reshape(i!, [2, 3])) };
  });

  for (const kind of ['crossEntropy', 'stablemaxCrossEntropy'] as const) {
    constantCase(`${kind} (with ignored labels, mean)`, (rng, [a, b, c]) => {
      const vocab = c! + 1;
      const labels = Int32Array.from({ length: a! * b! }, (_, i) => (i === 0 ? -100 : rng.int(0, vocab - 1)));
      const logits: GradCheckInput = { shape: [a!, b!, vocab], values: randomValues(a! * b! * vocab, rng, 3) };
      const lab: GradCheckInput = { shape: [a!, b!], values: new Float64Array(a! * b!), constant: tensor(labels, { shape: [a!, b!] }) };
      return { inputs: [logits, lab], fn: (x, l) => nn[kind](x, l!, { reduction: 'mean' }) };
    });
  }

  constantCase('bceWithLogits (targets constant)', (rng, [a, b]) => {
    const targets = tensor(Float64Array.from({ length: a! * b! }, () => rng.uniform()), { shape: [a!, b!], dtype: 'f64' });
    return {
      inputs: [{ shape: [a!, b!], values: randomValues(a! * b!, rng, 4) }, { shape: [a!, b!], values: new Float64Array(0), constant: targets }],
      fn: (x, t) => nn.bceWithLogits(x, t!, { reduction: 'sum' }),
    };
  });

  constantCase('rope', (rng, [a, b, c, d]) => {
    const dim = 2 * d!;
    const x: GradCheckInput = { shape: [a!, b!, c!, dim], values: randomValues(a! * b! * c! * dim, rng) };
    // Rotate-half tables repeat their first half (emb = concat(freqs, freqs)); the backward relies on it.
    const halves = (v: Float64Array) => Float64Array.from({ length: c! * dim }, (_, i) => v[Math.floor(i / dim) * d! + (i % d!)]!);
    const cos = tensor(halves(randomValues(c! * d!, rng)), { shape: [c!, dim], dtype: 'f64' });
    const sin = tensor(halves(randomValues(c! * d!, rng)), { shape: [c!, dim], dtype: 'f64' });
    const cosIn: GradCheckInput = { shape: [c!, dim], values: new Float64Array(0), constant: cos };
    const sinIn: GradCheckInput = { shape: [c!, dim], values: new Float64Array(0), constant: sin };
    return { inputs: [x, cosIn, sinIn], fn: (t, co, si) => nn.rope(t, co!, si!) };
  });

  constantCase('attention (with mask)', (rng, [a, b, c, d]) => {
    const [B, H, S, D] = [a!, b!, c! + 1, d! + 1];
    const rand = (n: number) => randomValues(n, rng, 1.5);
    const mask = Float64Array.from({ length: S * (S + 1) }, (_, i) => (i % (S + 2) === 1 ? -Infinity : rng.uniform() - 0.5));
    const maskIn: GradCheckInput = { shape: [S, S + 1], values: new Float64Array(0), constant: tensor(mask, { shape: [S, S + 1], dtype: 'f64' }) };
    return {
      inputs: [
        { shape: [B, H, S, D], values: rand(B * H * S * D) },
        { shape: [B, H, S + 1, D], values: rand(B * H * (S + 1) * D) },
        { shape: [B, H, S + 1, D], values: rand(B * H * (S + 1) * D) },
        maskIn,
      ],
      fn: (q, k, v, m) => nn.attention(q, k, v, { mask: m! }),
    };
  });
});
