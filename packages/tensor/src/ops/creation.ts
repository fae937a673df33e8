/** Creating tensors: from host data, constants, ranges and seeded random draws. */
import { type AnyTypedArray, type Backend, type DType, type Storage, typedArrayFor } from '../backend.js';
import { Rng, fillNormal, fillTruncNormal, fillUniform } from '../random.js';
import { activeBackend } from '../runtime.js';
import { formatShape, type Shape, shapeSize } from '../shape.js';
import { type NestedArray, StorageRef, Tensor } from '../tensor.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Wraps a storage the caller just obtained from `backend` in a new tensor. */
export function fromStorage(backend: Backend, storage: Storage, shape: Shape): Tensor {
  return new Tensor(new StorageRef(backend, storage), shape);
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** The most elements one tensor may hold: the longest typed array the JavaScript engine allocates. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32 - 1;

function checkShape(shape: Shape, op: string): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${op}: invalid shape ${formatShape(shape)}.`);
  const size = shapeSize(shape);
  if (size > MAX_TENSOR_ELEMENTS) {
    throw new Error(`${op}: shape ${formatShape(shape)} holds ${size.toExponential(3)} elements; a tensor holds at most ${MAX_TENSOR_ELEMENTS} (2^32 - 1).`);
  }
}

function dtypeOfArray(data: AnyTypedArray): DType {
  if (data instanceof Float64Array) return 'f64';
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof Uint8Array) return 'bool';
  return 'f32';
}

function inferNestedShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as NestedArray;
  }
  return shape;
}

/** Uploads host values; `data` may be nested arrays, a flat array with `shape`, or a typed array. */
export function tensor(data: NestedArray | AnyTypedArray | readonly number[] | boolean[], opts: CreateOptions & { shape?: Shape } = {}): Tensor {
  const isTyped = ArrayBuffer.isView(data);
  const dtype = opts.dtype ?? (isTyped ? dtypeOfArray(data as AnyTypedArray) : 'f32');
  const flat: ArrayLike<number> = isTyped ? (data as AnyTypedArray) : (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]).map(Number);
  const shape = opts.shape ? [...opts.shape] : isTyped ? [flat.length] : inferNestedShape(data as NestedArray);
  checkShape(shape, 'tensor');
  if (shapeSize(shape) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${formatShape(shape)} (${shapeSize(shape)} elements).`);
  }
  const host = typedArrayFor(dtype, flat.length);
  host.set(flat);
  const backend = activeBackend();
  const storage = backend.alloc(dtype, host.length);
  backend.write(storage, host);
  return finish(fromStorage(backend, storage, shape), opts);
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkShape(shape, 'full');
  const backend = activeBackend();
  return finish(fromStorage(backend, backend.fill(opts.dtype ?? 'f32', shapeSize(shape), value), shape), opts);
}

export const zeros = (shape: Shape, opts: CreateOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: Shape, opts: CreateOptions = {}): Tensor => full(shape, 1, opts);

/** Same shape, dtype and backend as `like`. */
export function fullLike(like: Tensor, value: number): Tensor {
  return fromStorage(like.backend, like.backend.fill(like.dtype, like.size, value), like.shape);
}
export const zerosLike = (like: Tensor): Tensor => fullLike(like, 0);
export const onesLike = (like: Tensor): Tensor => fullLike(like, 1);

/** Values start, start+step, ... below end (NumPy semantics); arange(n) is 0..n-1. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new Error('arange: step must not be 0.');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const values = Array.from({ length: n }, (_, i) => lo + i * step);
  return tensor(values, { shape: [n], dtype: opts.dtype ?? 'f32', requiresGrad: opts.requiresGrad });
}

export interface RandomOptions extends CreateOptions {
  /** Source of randomness; a fresh Rng(seed) when only `seed` is given. */
  rng?: Rng;
  seed?: number;
}

function randomTensor(shape: Shape, opts: RandomOptions, fill: (arr: Float64Array, rng: Rng) => void): Tensor {
  checkShape(shape, 'random');
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const values = new Float64Array(shapeSize(shape));
  fill(values, rng);
  return tensor(values, { shape, dtype: opts.dtype ?? 'f32', requiresGrad: opts.requiresGrad });
}

export function rand(shape: Shape, opts: RandomOptions & { lo?: number; hi?: number } = {}): Tensor {
  return randomTensor(shape, opts, (a, rng) => fillUniform(a, rng, opts.lo ?? 0, opts.hi ?? 1));
}

export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  return randomTensor(shape, opts, (a, rng) => fillNormal(a, rng, opts.mean ?? 0, opts.std ?? 1));
}

/** The JAX-style truncated normal of the HRM reference (bounds at two standard deviations). */
export function truncNormal(shape: Shape, opts: RandomOptions & { std?: number } = {}): Tensor {
  return randomTensor(shape, opts, (a, rng) => fillTruncNormal(a, rng, opts.std ?? 1));
}
