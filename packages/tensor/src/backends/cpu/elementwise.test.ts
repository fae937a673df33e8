import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, UnaryOp } from '../../backend.js';
import { createCpuBackend } from './index.js';
import { expectClose, hostIO } from '../../testing/compare.js';
import { floatDtype, seedArb, seeded, seededInts } from '../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const FLOAT_UNARY: Record<Exclude<UnaryOp, 'not'>, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sigmoid: sig,
  silu: (x) => x * sig(x),
  relu: (x) => Math.max(x, 0),
  abs: Math.abs,
  sign: Math.sign,
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  floor: Math.floor,
};

/** The broadcast reference: output index -> input index, dim by dim. */
function broadcastRead(x: number[], shape: number[], outShape: number[], flat: number): number {
  let idx = 0;
  let rest = flat;
  let stride = 1;
  for (let d = outShape.length - 1; d >= 0; d--) {
    const coord = rest % outShape[d]!;
    rest = Math.floor(rest / outShape[d]!);
    if (shape[d] !== 1) idx += coord * stride;
    stride *= shape[d]!;
  }
  return x[idx]!;
}

const shapes = fc
  .array(fc.constantFrom(1, 2, 3, 5), { minLength: 0, maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    ),
  )
  .map(([out, ka, kb]) => ({ out, a: out.map((n, d) => (ka[d] ? n : 1)), b: out.map((n, d) => (kb[d] ? n : 1)) }));

const size = (s: number[]) => s.reduce((x, y) => x * y, 1);

describe('cpu unary', () => {
  it('matches Math on f32 and f64 (positive inputs for log/sqrt)', async () => {
    for (const dtype of ['f32', 'f64'] as const) {
      for (const [op, f] of Object.entries(FLOAT_UNARY)) {
        const x = seeded(7, 20, -4, 4).map((v) => (op === 'log' || op === 'sqrt' || op === 'rsqrt' ? Math.abs(v) + 0.1 : v));
        const input = dtype === 'f32' ? Array.from(new Float32Array(x)) : x;
        const ref = input.map(f);
        expectClose(await values(backend.unary(op as UnaryOp, store(dtype, x))), dtype === 'f32' ? Array.from(new Float32Array(ref)) : ref, {
          rtol: 1e-7,
          atol: 1e-7,
        });
      }
    }
  });

  it('keeps i32 for integer-closed ops, wraps square, and nots booleans', async () => {
    expect(await values(backend.unary('neg', store('i32', [3, -4])))).toEqual([-3, 4]);
    expect(await values(backend.unary('abs', store('i32', [3, -4])))).toEqual([3, 4]);
    expect(await values(backend.unary('square', store('i32', [65536, -3])))).toEqual([0, 9]);
    expect(await values(backend.unary('not', store('bool', [1, 0])))).toEqual([0, 1]);
    expect(() => backend.unary('exp', store('i32', [1]))).toThrow(/cpu\.unary\(exp\): expected x of dtype f32 or f64, found i32/);
    expect(() => backend.unary('not', store('f32', [1]))).toThrow(/cpu\.unary\(not\): expected x of dtype bool, found f32/);
  });

  it('keeps sigmoid finite for large negative inputs', async () => {
    expect(await values(backend.unary('sigmoid', store('f64', [-1000, 1000])))).toEqual([0, 1]);
  });
});

describe('cpu binary and where', () => {
  const ARITH: Record<string, (a: number, b: number) => number> = {
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => a * b,
    div: (a, b) => a / b,
    maximum: Math.max,
    minimum: Math.min,
    pow: (a, b) => Math.abs(a) ** b,
  };
  const CMP: Record<string, (a: number, b: number) => boolean> = {
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    lt: (a, b) => a < b,
    le: (a, b) => a <= b,
    gt: (a, b) => a > b,
    ge: (a, b) => a >= b,
  };

  it('broadcasts arithmetic and comparisons like the index reference', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, floatDtype, seedArb, fc.constantFrom(...Object.keys(ARITH), ...Object.keys(CMP)), async (s, dtype, seed, op) => {
        // Small integers so that comparisons see ties; pow gets a non-negative base.
        const a = seededInts(seed, size(s.a), 0, 4).map((v) => (op === 'pow' ? v : v - 2));
        const b = seededInts(seed + 1, size(s.b), 0, 4).map((v) => v - 2);
        const out = await values(backend.binary(op as BinaryOp, store(dtype, a), s.a, store(dtype, b), s.b, s.out));
        const ref = Array.from({ length: size(s.out) }, (_, i) => {
          const x = broadcastRead(a, s.a, s.out, i);
          const y = broadcastRead(b, s.b, s.out, i);
          return op in ARITH ? ARITH[op]!(x, y) : CMP[op]!(x, y) ? 1 : 0;
        });
        expectClose(out, ref, { rtol: 1e-6, atol: 1e-6 });
      }),
      { numRuns: 80 },
    );
  });

  it('where selects with broadcast condition', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, seedArb, async (s, seed) => {
        const c = seededInts(seed, size(s.out.map((n, d) => (s.a[d] === 1 ? 1 : n))), 0, 2);
        const cShape = s.out.map((n, d) => (s.a[d] === 1 ? 1 : n));
        const a = seeded(seed + 1, size(s.a));
        const b = seeded(seed + 2, size(s.b));
        const out = await values(backend.where(store('bool', c), cShape, store('f64', a), s.a, store('f64', b), s.b, s.out));
        const ref = Array.from({ length: size(s.out) }, (_, i) =>
          broadcastRead(c, cShape, s.out, i) ? broadcastRead(a, s.a, s.out, i) : broadcastRead(b, s.b, s.out, i),
        );
        expect(out).toEqual(ref);
      }),
      { numRuns: 40 },
    );
  });

  it('uses integer semantics for i32 and bool logic', async () => {
    const a = store('i32', [7, -7, 65536, 3]);
    const b = store('i32', [2, 2, 65536, 0]);
    expect(await values(backend.binary('div', a, [4], b, [4], [4]))).toEqual([3, -3, 1, 3]);
    expect(await values(backend.binary('add', store('i32', [2147483647]), [1], store('i32', [1]), [1], [1]))).toEqual([-2147483648]);
    expect(await values(backend.binary('mul', a, [4], b, [4], [4]))).toEqual([14, -14, 0, 0]);
    expect(await values(backend.binary('and', store('bool', [1, 1, 0]), [3], store('bool', [1, 0, 0]), [3], [3]))).toEqual([1, 0, 0]);
    expect(await values(backend.binary('or', store('bool', [1, 1, 0]), [3], store('bool', [1, 0, 0]), [3], [3]))).toEqual([1, 1, 0]);
  });

  it('propagates NaN through maximum and minimum', async () => {
    const out = await values(backend.binary('maximum', store('f32', [NaN, 1]), [2], store('f32', [0, NaN]), [2], [2]));
    expect(out.every(Number.isNaN)).toBe(true);
  });

  it('rejects misuse with clear errors', () => {
    const f = store('f32', [1]);
    expect(() => backend.binary('add', store('bool', [1]), [1], store('bool', [1]), [1], [1])).toThrow(
      /cpu\.binary\(add\): expected a of dtype f32 or f64 or i32, found bool/,
    );
    expect(() => backend.binary('and', f, [1], f, [1], [1])).toThrow(/expected a of dtype bool, found f32/);
    expect(() => backend.binary('add', f, [1], store('i32', [1]), [1], [1])).toThrow(/expected b to have the dtype of a \(f32\), found i32/);
    expect(() => backend.binary('add', store('f32', [1, 2]), [2], f, [1], [3])).toThrow(/does not broadcast/);
    expect(() => backend.where(f, [1], f, [1], f, [1], [1])).toThrow(/cpu\.where: expected cond of dtype bool, found f32/);
    expect(() => backend.unary('constructor' as UnaryOp, f)).toThrow(/cpu\.unary: unknown op 'constructor'/);
    expect(() => backend.binary('toString' as BinaryOp, f, [1], f, [1], [1])).toThrow(/cpu\.binary: unknown op 'toString'/);
  });
});
