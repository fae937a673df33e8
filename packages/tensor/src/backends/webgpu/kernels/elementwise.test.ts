import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, DType, UnaryOp } from '../../../backend.js';
import { compareWithCpu, host, seedArb, seeded, seededInts, testBackend, type HostTensor } from '../test-utils.js';

const gpu = await testBackend();
const RUNS = { numRuns: 12 };

// Sizes straddling the 256-thread workgroup, plus zero.
const sizeArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(255, 256, 257, 1000, 4097));

function values(dtype: DType, seed: number, n: number, lo = -3, hi = 3): HostTensor {
  if (dtype === 'bool') return host('bool', seededInts(seed, n, 0, 2));
  if (dtype === 'i32') return host('i32', seededInts(seed, n, lo * 10, hi * 10));
  return host(dtype, seeded(seed, n, lo, hi));
}

/** Input ranges inside each op's domain, and tolerances where the GPU's f32 builtins differ from Math's f64. */
const UNARY_CASES: Record<UnaryOp, { dtypes: DType[]; lo?: number; hi?: number; rtol?: number; atol?: number }> = {
  neg: { dtypes: ['f32', 'i32'] },
  // WGSL's exp/log/tanh/sigmoid are not correctly rounded: a few f32 ulps (1e-5 is about 80 ulps).
  exp: { dtypes: ['f32'], rtol: 2e-6 * 8 },
  log: { dtypes: ['f32'], lo: 0.01, hi: 100, rtol: 1e-5, atol: 1e-6 },
  sqrt: { dtypes: ['f32'], lo: 0, hi: 100 },
  rsqrt: { dtypes: ['f32'], lo: 0.01, hi: 100 },
  tanh: { dtypes: ['f32'], lo: -12, hi: 12, rtol: 1e-5, atol: 1e-6 },
  sigmoid: { dtypes: ['f32'], lo: -30, hi: 30, rtol: 1e-5, atol: 1e-7 },
  silu: { dtypes: ['f32'], lo: -30, hi: 30, rtol: 1e-5, atol: 1e-6 },
  relu: { dtypes: ['f32', 'i32'] },
  abs: { dtypes: ['f32', 'i32'] },
  sign: { dtypes: ['f32', 'i32'] },
  square: { dtypes: ['f32', 'i32'] },
  reciprocal: { dtypes: ['f32'] },
  // WGSL guarantees only an absolute error for sin/cos (2^-11 in [-pi, pi]); lavapipe does far better.
  sin: { dtypes: ['f32'], lo: -10, hi: 10, rtol: 1e-5, atol: 1e-6 },
  cos: { dtypes: ['f32'], lo: -10, hi: 10, rtol: 1e-5, atol: 1e-6 },
  floor: { dtypes: ['f32', 'i32'] },
  not: { dtypes: ['bool'] },
};

const BINARY_DTYPES: Record<BinaryOp, DType[]> = {
  add: ['f32', 'i32'],
  sub: ['f32', 'i32'],
  mul: ['f32', 'i32'],
  div: ['f32', 'i32'],
  pow: ['f32', 'i32'],
  maximum: ['f32', 'i32'],
  minimum: ['f32', 'i32'],
  eq: ['f32', 'i32', 'bool'],
  ne: ['f32', 'i32', 'bool'],
  lt: ['f32', 'i32', 'bool'],
  le: ['f32', 'i32', 'bool'],
  gt: ['f32', 'i32', 'bool'],
  ge: ['f32', 'i32', 'bool'],
  and: ['bool'],
  or: ['bool'],
};

/** A random output shape of rank 0..4 and, for each of `count` operands, a shape broadcasting to it. */
const broadcastArb = (count: number) =>
  fc
    .integer({ min: 0, max: 4 })
    .chain((rank) =>
      fc
        .tuple(
          fc.array(fc.integer({ min: 1, max: 7 }), { minLength: rank, maxLength: rank }),
          fc.array(fc.array(fc.boolean(), { minLength: rank, maxLength: rank }), { minLength: count, maxLength: count }),
        )
        .map(([out, masks]) => ({ out, ins: masks.map((mask) => out.map((n, d) => (mask[d] ? 1 : n))) })),
    );

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe.skipIf(!gpu)('webgpu elementwise kernels', () => {
  const b = gpu!;

  it('fill writes every element with the dtype conversion of the value', async () => {
    await fc.assert(
      fc.asyncProperty(
        sizeArb,
        fc.constantFrom<DType>('f32', 'i32', 'bool'),
        fc.constantFrom(0, 1.5, -2.75, 3e9, Number.NaN, -Infinity),
        async (n, dtype, value) => {
          await compareWithCpu(b, (be) => be.fill(dtype, n, value), []);
        },
      ),
      RUNS,
    );
  });

  it('alloc returns zeros', async () => {
    await compareWithCpu(b, (be) => be.alloc('f32', 300), []);
  });

  it('cast converts between every pair of dtypes (i32 truncates and saturates, NaN -> 0)', async () => {
    const specials = [0, -0, 1.5, -1.5, 2.5e9, -2.5e9, Number.NaN, Infinity, 7, -7];
    for (const from of ['f32', 'i32', 'bool'] as DType[]) {
      for (const to of ['f32', 'i32', 'bool'] as DType[]) {
        const input = from === 'f32' ? host('f32', [...specials, ...seeded(from.length, 300, -50, 50)]) : values(from, 5, 301);
        await compareWithCpu(b, (be, [x]) => be.cast(x!, to), [input]);
      }
    }
  });

  for (const [op, c] of Object.entries(UNARY_CASES) as [UnaryOp, (typeof UNARY_CASES)[UnaryOp]][]) {
    it(`unary ${op} (${c.dtypes.join(', ')})`, async () => {
      await fc.assert(
        fc.asyncProperty(sizeArb, seedArb, fc.constantFrom(...c.dtypes), async (n, seed, dtype) => {
          await compareWithCpu(b, (be, [x]) => be.unary(op, x!), [values(dtype, seed, n, c.lo, c.hi)], { rtol: c.rtol ?? 1e-6, atol: c.atol ?? 0 });
        }),
        { numRuns: 4 },
      );
    });
  }

  for (const [op, dtypes] of Object.entries(BINARY_DTYPES) as [BinaryOp, DType[]][]) {
    it(`binary ${op} with broadcasting (${dtypes.join(', ')})`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastArb(2), seedArb, fc.constantFrom(...dtypes), async ({ out, ins }, seed, dtype) => {
          const [aShape, bShape] = ins as [number[], number[]];
          const lo = op === 'pow' ? 0.5 : -3;
          const a = values(dtype, seed, size(aShape), lo, 3);
          // Small integer exponents keep i32 pow exact; nonzero divisors keep i32 div well-defined either way.
          const bv = op === 'pow' && dtype === 'i32' ? host('i32', seededInts(seed + 1, size(bShape), -2, 6)) : values(dtype, seed + 1, size(bShape), lo, 3);
          // pow goes through exp2/log2 on the GPU: a few ulps per step.
          const rtol = op === 'pow' ? 1e-5 : 1e-6;
          await compareWithCpu(b, (be, [x, y]) => be.binary(op, x!, aShape, y!, bShape, out), [a, bv], { rtol });
        }),
        { numRuns: 6 },
      );
    });
  }

  it('binary special values: NaN propagation, i32 division by zero, negative bases in pow', async () => {
    const a = host('f32', [Number.NaN, 1, -2, -2, 0, -8, 2, Infinity]);
    const bv = host('f32', [1, Number.NaN, 3, 0.5, -1, 1 / 3, 0, 2]);
    for (const op of ['maximum', 'minimum', 'pow', 'div', 'eq', 'ne', 'lt'] as BinaryOp[]) {
      await compareWithCpu(b, (be, [x, y]) => be.binary(op, x!, [8], y!, [8], [8]), [a, bv]);
    }
    const ia = host('i32', [7, -7, 5, 0, -2147483648, 3, -3, 2]);
    const ib = host('i32', [2, 2, 0, 0, -1, -1, 3, 31]);
    for (const op of ['div', 'pow', 'mul', 'add'] as BinaryOp[]) {
      await compareWithCpu(b, (be, [x, y]) => be.binary(op, x!, [8], y!, [8], [8]), [ia, ib]);
    }
  });

  it('where selects with three-way broadcasting', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastArb(3), seedArb, fc.constantFrom<DType>('f32', 'i32', 'bool'), async ({ out, ins }, seed, dtype) => {
        const [cShape, aShape, bShape] = ins as [number[], number[], number[]];
        await compareWithCpu(b, (be, [c, x, y]) => be.where(c!, cShape, x!, aShape, y!, bShape, out), [
          values('bool', seed, size(cShape)),
          values(dtype, seed + 1, size(aShape)),
          values(dtype, seed + 2, size(bShape)),
        ]);
      }),
      RUNS,
    );
  });

  it('unsupported dtypes fail with the op and dtype named', async () => {
    const x = b.fill('i32', 4, 1);
    expect(() => b.unary('exp', x)).toThrow(/unary\(exp\).*i32/);
    expect(() => b.alloc('f64', 4)).toThrow(/f64.*CPU backend/);
    b.free(x);
  });
});
