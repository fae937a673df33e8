/** Elementwise kernels: unary maps, broadcasting binary ops and select, all over one generic loop. */
import { typedArrayFor, type AnyTypedArray, type BinaryOp, type DType, type Storage, type UnaryOp } from '../../backend.js';
import { cpuStorage, expectDtype, expectSameDtype, expectSize } from './storage.js';
import { broadcastStrides, forEachRow } from './strided.js';
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
  const out = typedArrayFor(st.dtype, src.length);
  for (let i = 0; i < src.length; i++) out[i] = fn(src[i]);
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
// megamorphic in V8 and costs a call per element.
const FLOAT_ROWS: Record<string, BinaryRow> = {
  add: (out, o, x, pa, da, y, pb, db, len) => { for (let j = 0; j < len; j++) out[o + j] = x[pa + j * da] + y[pb + j * db]; },
  sub: (out, o, x, pa, da, y, pb, db, len) => { for (let j = 0; j < len; j++) out[o + j] = x[pa + j * da] - y[pb + j * db]; },
  mul: (out, o, x, pa, da, y, pb, db, len) => { for (let j = 0; j < len; j++) out[o + j] = x[pa + j * da] * y[pb + j * db]; },
  div: (out, o, x, pa, da, y, pb, db, len) => { for (let j = 0; j < len; j++) out[o + j] = x[pa + j * da] / y[pb + j * db]; },
};

function scalarRow(fn: Binary): BinaryRow {
  return (out, o, x, pa, da, y, pb, db, len) => {
    for (let j = 0; j < len; j++) out[o + j] = fn(x[pa + j * da], y[pb + j * db]);
  };
}

/** The function of a binary op for operands of `dtype`, and the dtype of its result. */
function binarySpec(op: BinaryOp, dtype: DType): { fn: Binary; outDtype: DType } {
  const kernel = `binary(${op})`;
  if (Object.hasOwn(ARITHMETIC, op)) {
    expectDtype(kernel, 'a', dtype, NUMERIC);
    return { fn: (dtype === 'i32' && I32_ARITHMETIC[op]) || ARITHMETIC[op], outDtype: dtype };
  }
  if (Object.hasOwn(COMPARE, op)) return { fn: COMPARE[op], outDtype: 'bool' };
  if (Object.hasOwn(LOGICAL, op)) {
    expectDtype(kernel, 'a', dtype, ['bool']);
    return { fn: LOGICAL[op], outDtype: 'bool' };
  }
  throw new Error(`cpu.binary: unknown op '${op}'`);
}

export function binary(
  op: BinaryOp,
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
): AnyTypedArray {
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
  const out = typedArrayFor(outDtype, shapeSize(outShape));
  const row = (dtype !== 'i32' && Object.hasOwn(FLOAT_ROWS, op) && FLOAT_ROWS[op]) || scalarRow(fn);
  forEachRow(outShape, strides, [0, 0], (o, [pa, pb], len, [da, db]) => row(out, o, x, pa, da, y, pb, db, len));
  return out;
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
  const sc = cpuStorage(cond, 'where', 'cond');
  const sa = cpuStorage(a, 'where', 'a');
  const sb = cpuStorage(b, 'where', 'b');
  expectDtype('where', 'cond', sc.dtype, ['bool']);
  const dtype = expectSameDtype('where', { a, b });
  expectSize('where', 'cond', sc.size, shapeSize(condShape));
  expectSize('where', 'a', sa.size, shapeSize(aShape));
  expectSize('where', 'b', sb.size, shapeSize(bShape));
  const strides = [condShape, aShape, bShape].map((shape) => broadcastStrides('where', shape, outShape));
  const c = sc.data;
  const x = sa.data;
  const y = sb.data;
  const out = typedArrayFor(dtype, shapeSize(outShape));
  forEachRow(outShape, strides, [0, 0, 0], (o, [pc, pa, pb], len, [dc, da, db]) => selectRow(out, o, c, pc, dc, x, pa, da, y, pb, db, len));
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
  for (let j = 0; j < len; j++) out[o + j] = c[pc + j * dc] ? x[pa + j * da] : y[pb + j * db];
}
