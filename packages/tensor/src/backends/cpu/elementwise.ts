/** Elementwise kernels: unary maps, broadcasting binary ops and select, all over one generic loop. */
import type { AnyTypedArray, BinaryOp, DType, Storage, UnaryOp } from '../../backend.js';
import { cpuStorage, expectDtype, expectSameDtype, expectSize, newArray } from './storage.js';
import { broadcastStrides, planRows } from './strided.js';
import { cpuSimdEnabled } from './wasm/features.js';
import { rowKernels, SIMD_ARITHMETIC, type SimdArithmetic } from './wasm/row-kernels.js';
import { shapeSize } from '../../shape.js';

type Unary = (x: number) => number;
type Binary = (a: number, b: number) => number;

const FLOAT: readonly DType[] = ['f32', 'f64'];
const NUMERIC: readonly DType[] = ['f32', 'f64', 'i32'];

export function sigmoid(x: number): number {
  // Branch-free (a sign branch mispredicts on mixed-sign activations): where exp(-x) overflows,
  // 1 / Infinity is the correct 0.
  return 1 / (1 + Math.exp(-x));
}

export function silu(x: number): number {
  return x * sigmoid(x);
}

/** `i32` overrides `fn` where float arithmetic would not wrap like 32-bit integers. */
const UNARY: Record<UnaryOp, { fn: Unary; dtypes: readonly DType[]; i32?: Unary }> = {
  neg: { fn: (x) => -x, dtypes: NUMERIC },
  exp: { fn: Math.exp, dtypes: FLOAT },
  log: { fn: Math.log, dtypes: FLOAT },
  sqrt: { fn: Math.sqrt, dtypes: FLOAT },
  rsqrt: { fn: (x) => 1 / Math.sqrt(x), dtypes: FLOAT },
  tanh: { fn: Math.tanh, dtypes: FLOAT },
  sigmoid: { fn: sigmoid, dtypes: FLOAT },
  silu: { fn: silu, dtypes: FLOAT },
  relu: { fn: (x) => (x > 0 ? x : 0), dtypes: NUMERIC },
  abs: { fn: Math.abs, dtypes: NUMERIC },
  sign: { fn: Math.sign, dtypes: NUMERIC },
  square: { fn: (x) => x * x, dtypes: NUMERIC, i32: (x) => Math.imul(x, x) },
  reciprocal: { fn: (x) => 1 / x, dtypes: FLOAT },
  sin: { fn: Math.sin, dtypes: FLOAT },
  cos: { fn: Math.cos, dtypes: FLOAT },
  floor: { fn: Math.floor, dtypes: NUMERIC },
  not: { fn: (x) => (x ? 0 : 1), dtypes: ['bool'] },
};

export function unary(op: UnaryOp, x: Storage): AnyTypedArray {
  const st = cpuStorage(x, `unary(${op})`, 'x');
  if (!Object.hasOwn(UNARY, op)) throw new Error(`cpu.unary: unknown op '${op}'`);
  const spec = UNARY[op];
  expectDtype(`unary(${op})`, 'x', st.dtype, spec.dtypes);
  const fn = st.dtype === 'i32' && spec.i32 ? spec.i32 : spec.fn;
  const src = st.data;
  const out = newArray(st.dtype, src.length, 'uninitialized');
  for (let i = 0; i < src.length; i++) out[i] = fn(src[i]!);
  return out;
}

const ARITHMETIC: Record<string, Binary> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
};

// Integer semantics where float arithmetic would differ, as in WGSL: exact wrapping product,
// truncating division, and x / 0 = x.
const I32_ARITHMETIC: Record<string, Binary> = {
  mul: Math.imul,
  div: (a, b) => (b === 0 ? a : Math.trunc(a / b)),
};

const COMPARE: Record<string, Binary> = {
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};

const LOGICAL: Record<string, Binary> = {
  and: (a, b) => (a && b ? 1 : 0),
  or: (a, b) => (a || b ? 1 : 0),
};

/** out[o + j] = x[pa + j * da] (op) y[pb + j * db] for j < len. */
type BinaryRow = (out: AnyTypedArray, o: number, x: AnyTypedArray, pa: number, da: number, y: AnyTypedArray, pb: number, db: number, len: number) => void;

// The hot float ops get their own loops: a loop that calls a different `fn` per op turns
// megamorphic in V8 and costs a call per element. Four elements per iteration: V8 re-checks the
// typed arrays after each store to a passed-in array, which made single-store loops cost about
// three times the arithmetic (see copyRow in memory.ts).
const FLOAT_ROWS: Record<string, BinaryRow> = {
  add(out, o, x, pa, da, y, pb, db, len) {
    for (const end4 = o + (len & ~3); o < end4; o += 4, pa += 4 * da, pb += 4 * db) {
      out[o] = x[pa]! + y[pb]!;
      out[o + 1] = x[pa + da]! + y[pb + db]!;
      out[o + 2] = x[pa + 2 * da]! + y[pb + 2 * db]!;
      out[o + 3] = x[pa + 3 * da]! + y[pb + 3 * db]!;
    }
    for (const end = o + (len & 3); o < end; o++, pa += da, pb += db) out[o] = x[pa]! + y[pb]!;
  },
  sub(out, o, x, pa, da, y, pb, db, len) {
    for (const end4 = o + (len & ~3); o < end4; o += 4, pa += 4 * da, pb += 4 * db) {
      out[o] = x[pa]! - y[pb]!;
      out[o + 1] = x[pa + da]! - y[pb + db]!;
      out[o + 2] = x[pa + 2 * da]! - y[pb + 2 * db]!;
      out[o + 3] = x[pa + 3 * da]! - y[pb + 3 * db]!;
    }
    for (const end = o + (len & 3); o < end; o++, pa += da, pb += db) out[o] = x[pa]! - y[pb]!;
  },
  mul(out, o, x, pa, da, y, pb, db, len) {
    for (const end4 = o + (len & ~3); o < end4; o += 4, pa += 4 * da, pb += 4 * db) {
      out[o] = x[pa]! * y[pb]!;
      out[o + 1] = x[pa + da]! * y[pb + db]!;
      out[o + 2] = x[pa + 2 * da]! * y[pb + 2 * db]!;
      out[o + 3] = x[pa + 3 * da]! * y[pb + 3 * db]!;
    }
    for (const end = o + (len & 3); o < end; o++, pa += da, pb += db) out[o] = x[pa]! * y[pb]!;
  },
  div(out, o, x, pa, da, y, pb, db, len) {
    for (const end4 = o + (len & ~3); o < end4; o += 4, pa += 4 * da, pb += 4 * db) {
      out[o] = x[pa]! / y[pb]!;
      out[o + 1] = x[pa + da]! / y[pb + db]!;
      out[o + 2] = x[pa + 2 * da]! / y[pb + 2 * db]!;
      out[o + 3] = x[pa + 3 * da]! / y[pb + 3 * db]!;
    }
    for (const end = o + (len & 3); o < end; o++, pa += da, pb += db) out[o] = x[pa]! / y[pb]!;
  },
};

function scalarRow(fn: Binary): BinaryRow {
  return (out, o, x, pa, da, y, pb, db, len) => {
    for (const end = o + len; o < end; o++, pa += da, pb += db) out[o] = fn(x[pa]!, y[pb]!);
  };
}

/** The function of a binary op for operands of `dtype`, and the dtype of its result. */
function binarySpec(op: BinaryOp, dtype: DType): { fn: Binary; outDtype: DType } {
  const kernel = `binary(${op})`;
  if (Object.hasOwn(ARITHMETIC, op)) {
    expectDtype(kernel, 'a', dtype, NUMERIC);
    return { fn: ((dtype === 'i32' && I32_ARITHMETIC[op]) || ARITHMETIC[op])!, outDtype: dtype };
  }
  if (Object.hasOwn(COMPARE, op)) return { fn: COMPARE[op]!, outDtype: 'bool' };
  if (Object.hasOwn(LOGICAL, op)) {
    expectDtype(kernel, 'a', dtype, ['bool']);
    return { fn: LOGICAL[op]!, outDtype: 'bool' };
  }
  throw new Error(`cpu.binary: unknown op '${op}'`);
}

export function binary(op: BinaryOp, a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): AnyTypedArray {
  const kernel = `binary(${op})`;
  const sa = cpuStorage(a, kernel, 'a');
  const sb = cpuStorage(b, kernel, 'b');
  const dtype = expectSameDtype(kernel, { a, b });
  const { fn, outDtype } = binarySpec(op, dtype);
  expectSize(kernel, 'a', sa.size, shapeSize(aShape));
  expectSize(kernel, 'b', sb.size, shapeSize(bShape));
  const strides = [broadcastStrides(kernel, aShape, outShape), broadcastStrides(kernel, bShape, outShape)];
  const x = sa.data;
  const y = sb.data;
  const out = newArray(outDtype, shapeSize(outShape), 'uninitialized');
  if (simdArithmetic(op, x, y, out)) return out;
  const row = (dtype !== 'i32' && Object.hasOwn(FLOAT_ROWS, op) && FLOAT_ROWS[op]) || scalarRow(fn);
  const { rows, len, inner, starts } = planRows(outShape, strides, [0, 0]);
  const [da, db] = inner;
  const [aStarts, bStarts] = starts;
  for (let r = 0; r < rows; r++) row(out, r * len, x, aStarts![r]!, da!, y, bStarts![r]!, db!, len);
  return out;
}

/**
 * f32 arithmetic on operands of the output's size (no broadcasting) takes the WebAssembly SIMD
 * kernel when SIMD is on: the same bits (f32 +, -, *, / round once either way), 2-5x faster than
 * the loops below, whose typed-array accesses V8 cannot specialise to one element type.
 */
function simdArithmetic(op: BinaryOp, x: AnyTypedArray, y: AnyTypedArray, out: AnyTypedArray): boolean {
  if (!(x instanceof Float32Array && y instanceof Float32Array && out instanceof Float32Array)) return false;
  if (x.length !== out.length || y.length !== out.length || !(SIMD_ARITHMETIC as readonly string[]).includes(op) || !cpuSimdEnabled()) return false;
  rowKernels().arithmetic(op as SimdArithmetic, x, y, out);
  return true;
}

export function where(
  cond: Storage,
  condShape: readonly number[],
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
): AnyTypedArray {
  const condSt = cpuStorage(cond, 'where', 'cond');
  const aSt = cpuStorage(a, 'where', 'a');
  const bSt = cpuStorage(b, 'where', 'b');
  expectDtype('where', 'cond', condSt.dtype, ['bool']);
  const dtype = expectSameDtype('where', { a, b });
  expectSize('where', 'cond', condSt.size, shapeSize(condShape));
  expectSize('where', 'a', aSt.size, shapeSize(aShape));
  expectSize('where', 'b', bSt.size, shapeSize(bShape));
  const strides = [condShape, aShape, bShape].map((shape) => broadcastStrides('where', shape, outShape));
  const c = condSt.data;
  const x = aSt.data;
  const y = bSt.data;
  const out = newArray(dtype, shapeSize(outShape), 'uninitialized');
  const { rows, len, inner, starts } = planRows(outShape, strides, [0, 0, 0]);
  const [dc, da, db] = inner;
  const [cStarts, aStarts, bStarts] = starts;
  for (let r = 0; r < rows; r++) selectRow(out, r * len, c, cStarts![r]!, dc!, x, aStarts![r]!, da!, y, bStarts![r]!, db!, len);
  return out;
}

function selectRow(
  out: AnyTypedArray,
  o: number,
  c: AnyTypedArray,
  pc: number,
  dc: number,
  x: AnyTypedArray,
  pa: number,
  da: number,
  y: AnyTypedArray,
  pb: number,
  db: number,
  len: number,
): void {
  for (const end = o + len; o < end; o++, pc += dc, pa += da, pb += db) out[o] = c[pc] ? x[pa]! : y[pb]!;
}
