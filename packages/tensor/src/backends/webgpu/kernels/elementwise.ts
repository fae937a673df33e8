/** fill, cast, unary, binary and where: WGSL expressions for the shared map kernel (map.ts). */
import type { BinaryOp, DType, Storage, UnaryOp } from '../../../backend.js';
import { asGpuStorage, expectGpuDtype, type GpuDType, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { contiguousStrides } from '../../../shape.js';
import { broadcastStrides, runMap, type MapInput } from './map.js';

type Expr = string | { f32?: string; i32?: string; bool?: string };

/** Unary expressions over `a`, by dtype where they differ; a missing dtype is unsupported. */
const UNARY: Record<UnaryOp, { f32?: string; i32?: string; bool?: string }> = {
  neg: { f32: '-a', i32: '-a' },
  exp: { f32: 'exp(a)' },
  log: { f32: 'log(a)' },
  sqrt: { f32: 'sqrt(a)' },
  rsqrt: { f32: 'inverseSqrt(a)' },
  tanh: { f32: 'tanh(a)' },
  sigmoid: { f32: 'sigmoid(a)' },
  silu: { f32: 'a * sigmoid(a)' },
  relu: { f32: 'select(0.0, a, a > 0.0)', i32: 'select(0, a, a > 0)' },
  abs: { f32: 'abs(a)', i32: 'abs(a)' },
  sign: { f32: 'sign(a)', i32: 'sign(a)' },
  square: { f32: 'a * a', i32: 'a * a' },
  reciprocal: { f32: '1.0 / a' },
  sin: { f32: 'sin(a)' },
  cos: { f32: 'cos(a)' },
  floor: { f32: 'floor(a)', i32: 'a' },
  not: { bool: 'u32(a == 0u)' },
};

const COMPARE: Record<string, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Binary expressions over `a` and `b`, and the result dtype. */
function binaryExpr(op: BinaryOp, dtype: GpuDType): { expr: string; out: GpuDType } {
  const compare = COMPARE[op];
  if (compare && dtype === 'f32') {
    // Explicit NaN tests: WGSL compilers may treat f32 comparisons as NaN-free.
    const expr = op === 'ne' ? 'u32(is_nan(a) || is_nan(b) || a != b)' : `u32(!is_nan(a) && !is_nan(b) && a ${compare} b)`;
    return { expr, out: 'bool' };
  }
  if (compare) return { expr: `u32(a ${compare} b)`, out: 'bool' };
  const arithmetic: Record<string, Expr> = {
    add: 'a + b',
    sub: 'a - b',
    mul: 'a * b',
    div: 'a / b', // i32: truncating, and WGSL defines x / 0 = x (as does the CPU backend)
    pow: { f32: 'pow_f32(a, b)', i32: 'pow_i32(a, b)' },
    maximum: { f32: 'max_nan(a, b)', i32: 'max(a, b)' },
    minimum: { f32: 'min_nan(a, b)', i32: 'min(a, b)' },
    and: { bool: 'u32(a != 0u && b != 0u)' },
    or: { bool: 'u32(a != 0u || b != 0u)' },
  };
  const entry = arithmetic[op];
  if (entry === undefined) throw new Error(`webgpu binary: unknown op '${op}'`);
  const expr = typeof entry === 'string' ? (dtype === 'bool' ? undefined : entry) : entry[dtype];
  if (!expr) throw new Error(`webgpu binary(${op}): dtype ${dtype} is not supported`);
  return { expr, out: dtype };
}

/** A contiguous input read element for element. */
function whole(storage: Storage, shape: readonly number[]): MapInput {
  return { storage, strides: contiguousStrides(shape), offset: 0 };
}

/** An input of `shape` (its element count checked) broadcast to `outShape`. */
function broadcast(kernel: string, operand: string, storage: Storage, shape: readonly number[], outShape: readonly number[]): MapInput {
  expectShapeSize(kernel, operand, storage, shape);
  return { storage, strides: broadcastStrides(kernel, shape, outShape), offset: 0 };
}

export function fill(engine: WebGpuEngine, dtype: DType, size: number, value: number): GpuStorage {
  const gpuDtype = expectGpuDtype(dtype);
  const bits = new DataView(new ArrayBuffer(4));
  if (gpuDtype === 'f32') bits.setFloat32(0, value, true);
  else if (gpuDtype === 'i32') bits.setInt32(0, Number.isNaN(value) ? 0 : Math.min(2147483647, Math.max(-2147483648, Math.trunc(value))), true);
  else bits.setUint32(0, value !== 0 ? 1 : 0, true);
  const expr = gpuDtype === 'f32' ? 'bitcast<f32>(p.scalar)' : gpuDtype === 'i32' ? 'bitcast<i32>(p.scalar)' : 'p.scalar';
  return runMap(engine, { name: `fill_${gpuDtype}`, expr, outDtype: gpuDtype, shape: [size], inputs: [], scalarBits: bits.getUint32(0, true) });
}

export function cast(engine: WebGpuEngine, x: Storage, to: DType): GpuStorage {
  const from = asGpuStorage(x).dtype;
  const target = expectGpuDtype(to);
  const exprs: Record<GpuDType, Record<GpuDType, string>> = {
    f32: { f32: 'a', i32: 'f32_to_i32(a)', bool: 'u32(a != 0.0 || is_nan(a))' },
    i32: { f32: 'f32(a)', i32: 'a', bool: 'u32(a != 0)' },
    bool: { f32: 'f32(a)', i32: 'i32(a)', bool: 'a' },
  };
  return runMap(engine, { name: `cast_${from}_${target}`, expr: exprs[from][target], outDtype: target, shape: [x.size], inputs: [whole(x, [x.size])] });
}

export function unary(engine: WebGpuEngine, op: UnaryOp, x: Storage): GpuStorage {
  const dtype = asGpuStorage(x).dtype;
  const spec = UNARY[op];
  if (!spec) throw new Error(`webgpu unary: unknown op '${op}'`);
  const expr = spec[dtype];
  if (!expr) throw new Error(`webgpu unary(${op}): dtype ${dtype} is not supported (expects ${Object.keys(spec).join(' or ')})`);
  return runMap(engine, { name: `unary_${op}_${dtype}`, expr, outDtype: dtype, shape: [x.size], inputs: [whole(x, [x.size])] });
}

export function binary(
  engine: WebGpuEngine,
  op: BinaryOp,
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
): GpuStorage {
  const kernel = `binary(${op})`;
  const dtype = asGpuStorage(a).dtype;
  if (asGpuStorage(b).dtype !== dtype) throw new Error(`webgpu ${kernel}: operands differ in dtype (${dtype} and ${b.dtype}); cast first`);
  const inputs = [broadcast(kernel, 'a', a, aShape, outShape), broadcast(kernel, 'b', b, bShape, outShape)];
  const { expr, out } = binaryExpr(op, dtype);
  return runMap(engine, { name: `binary_${op}_${dtype}`, expr, outDtype: out, shape: outShape, inputs });
}

export function where(
  engine: WebGpuEngine,
  cond: Storage,
  condShape: readonly number[],
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
): GpuStorage {
  if (asGpuStorage(cond).dtype !== 'bool') throw new Error(`webgpu where: cond must be bool, found ${cond.dtype}`);
  const dtype = asGpuStorage(a).dtype;
  if (asGpuStorage(b).dtype !== dtype) throw new Error(`webgpu where: a and b differ in dtype (${dtype} and ${b.dtype}); cast first`);
  const inputs = [
    broadcast('where', 'cond', cond, condShape, outShape),
    broadcast('where', 'a', a, aShape, outShape),
    broadcast('where', 'b', b, bShape, outShape),
  ];
  return runMap(engine, { name: `where_${dtype}`, expr: 'select(c, b, a != 0u)', outDtype: dtype, shape: outShape, inputs });
}

export function expectShapeSize(kernel: string, operand: string, s: Storage, shape: readonly number[]): void {
  const size = shape.reduce((x, y) => x * y, 1);
  if (size !== s.size) throw new Error(`webgpu ${kernel}: ${operand} has ${s.size} elements, shape [${shape.join(', ')}] needs ${size}`);
}
