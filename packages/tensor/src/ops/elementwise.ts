/** Elementwise ops with NumPy broadcasting (their gradient rules are in gradients/elementwise.ts). */
import type { Backend, BinaryOp, DType, Storage, UnaryOp } from '../backend.js';
import { broadcastShapes, padShape, type Shape } from '../shape.js';
import { record, recording } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage, full } from './creation.js';
import { reshape } from './movement.js';

export type Operand = Tensor | number;

const isFloat = (d: DType): boolean => d === 'f32' || d === 'f64';

/** The dtype two operands meet at: floats win over integers, integers over bools. */
function commonDType(a: DType, b: DType): DType {
  if (a === b) return a;
  for (const d of ['f64', 'f32', 'i32'] as const) if (a === d || b === d) return d;
  return 'bool';
}

/** The storage of an operand in `dtype`: its own, or a new one (a filled scalar, a cast) that the caller frees. */
function storageIn(x: Operand, dtype: DType, backend: Backend): Storage {
  if (typeof x === 'number') return backend.fill(dtype, 1, x);
  return x.dtype === dtype ? x.storage : backend.cast(x.storage, dtype);
}

function freeTemporary(s: Storage, x: Operand, backend: Backend): void {
  if (typeof x === 'number' || s !== x.storage) backend.free(s);
}

const SCALAR: Shape = Object.freeze([]);
const shapeOf = (x: Operand): Shape => (typeof x === 'number' ? SCALAR : x.shape);

function checkSameBackend(a: Operand, backend: Backend, op: string): void {
  if (typeof a !== 'number' && a.backend !== backend) throw new Error(`${op}: operands live on different backends (${backend.name} and ${a.backend.name}).`);
}

/** Runs a broadcasting binary kernel on two operands, at least one of them a tensor. */
function binaryKernel(op: BinaryOp, a: Operand, b: Operand, dtype?: DType): Tensor {
  const like = typeof a === 'number' ? (b as Tensor) : a;
  const backend = like.backend;
  checkSameBackend(b, backend, op);
  const target = dtype ?? commonDType(typeof a === 'number' ? like.dtype : a.dtype, typeof b === 'number' ? like.dtype : b.dtype);
  const outShape = broadcastShapes(shapeOf(a), shapeOf(b), op);
  const r = outShape.length;
  const sa = storageIn(a, target, backend);
  const sb = storageIn(b, target, backend);
  try {
    return fromStorage(backend, backend.binary(op, sa, padShape(shapeOf(a), r), sb, padShape(shapeOf(b), r), outShape), outShape);
  } finally {
    freeTemporary(sa, a, backend);
    freeTemporary(sb, b, backend);
  }
}

const tensorsOf = (...xs: Operand[]): Tensor[] => xs.filter((x): x is Tensor => typeof x !== 'number');

function binaryWithGrad(op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum', a: Operand, b: Operand): Tensor {
  const out = binaryKernel(op, a, b);
  return recording(a, b) ? record(out, op, tensorsOf(a, b), { a, b }) : out;
}

export const add = (a: Operand, b: Operand): Tensor => binaryWithGrad('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binaryWithGrad('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binaryWithGrad('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binaryWithGrad('div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => binaryWithGrad('pow', a, b);
/** Ties send the gradient to the first operand, as PyTorch's clamp-style max does. */
export const maximum = (a: Operand, b: Operand): Tensor => binaryWithGrad('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binaryWithGrad('minimum', a, b);

/** Comparisons return bool tensors and carry no gradient. */
export const eq = (a: Operand, b: Operand): Tensor => binaryKernel('eq', a, b, compareDType(a, b));
export const ne = (a: Operand, b: Operand): Tensor => binaryKernel('ne', a, b, compareDType(a, b));
export const lt = (a: Operand, b: Operand): Tensor => binaryKernel('lt', a, b, compareDType(a, b));
export const le = (a: Operand, b: Operand): Tensor => binaryKernel('le', a, b, compareDType(a, b));
export const gt = (a: Operand, b: Operand): Tensor => binaryKernel('gt', a, b, compareDType(a, b));
export const ge = (a: Operand, b: Operand): Tensor => binaryKernel('ge', a, b, compareDType(a, b));

function compareDType(a: Operand, b: Operand): DType {
  const dts = tensorsOf(a, b).map((t) => t.dtype);
  return dts.length === 2 ? commonDType(dts[0]!, dts[1]!) : dts[0]!;
}

export const logicalAnd = (a: Tensor, b: Tensor): Tensor => binaryKernel('and', toBool(a), toBool(b), 'bool');
export const logicalOr = (a: Tensor, b: Tensor): Tensor => binaryKernel('or', toBool(a), toBool(b), 'bool');
export const logicalNot = (a: Tensor): Tensor => unaryKernel('not', toBool(a));

function toBool(t: Tensor): Tensor {
  if (t.dtype !== 'bool') throw new Error(`logical ops take bool tensors, found ${t.dtype}.`);
  return t;
}

function unaryKernel(op: UnaryOp, x: Tensor): Tensor {
  return fromStorage(x.backend, x.backend.unary(op, x.storage), x.shape);
}

type DifferentiableUnary = Exclude<UnaryOp, 'sign' | 'floor' | 'not'>;

function unaryWithGrad(op: DifferentiableUnary, x: Tensor): Tensor {
  const out = unaryKernel(op, x);
  return recording(x) ? record(out, op, [x], null) : out;
}

export const neg = (x: Tensor): Tensor => unaryWithGrad('neg', x);
export const exp = (x: Tensor): Tensor => unaryWithGrad('exp', x);
export const log = (x: Tensor): Tensor => unaryWithGrad('log', x);
export const sqrt = (x: Tensor): Tensor => unaryWithGrad('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unaryWithGrad('rsqrt', x);
export const tanh = (x: Tensor): Tensor => unaryWithGrad('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unaryWithGrad('sigmoid', x);
export const silu = (x: Tensor): Tensor => unaryWithGrad('silu', x);
export const relu = (x: Tensor): Tensor => unaryWithGrad('relu', x);
export const abs = (x: Tensor): Tensor => unaryWithGrad('abs', x);
export const square = (x: Tensor): Tensor => unaryWithGrad('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryWithGrad('reciprocal', x);
export const sin = (x: Tensor): Tensor => unaryWithGrad('sin', x);
export const cos = (x: Tensor): Tensor => unaryWithGrad('cos', x);

/** Piecewise-constant ops: zero gradient almost everywhere, so they record nothing. */
export const sign = (x: Tensor): Tensor => unaryKernel('sign', x);
export const floor = (x: Tensor): Tensor => unaryKernel('floor', x);

/** Broadcasting select: cond (bool) ? a : b. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (cond.dtype !== 'bool') throw new Error(`where: the condition must be a bool tensor, found ${cond.dtype}.`);
  const backend = cond.backend;
  checkSameBackend(a, backend, 'where');
  checkSameBackend(b, backend, 'where');
  const dtypes = tensorsOf(a, b).map((t) => t.dtype);
  const dtype = dtypes.length === 0 ? 'f32' : dtypes.reduce(commonDType);
  const outShape = broadcastShapes(broadcastShapes(cond.shape, shapeOf(a), 'where'), shapeOf(b), 'where');
  const r = outShape.length;
  const sa = storageIn(a, dtype, backend);
  const sb = storageIn(b, dtype, backend);
  let out: Tensor;
  try {
    out = fromStorage(
      backend,
      backend.where(cond.storage, padShape(cond.shape, r), sa, padShape(shapeOf(a), r), sb, padShape(shapeOf(b), r), outShape),
      outShape,
    );
  } finally {
    freeTemporary(sa, a, backend);
    freeTemporary(sb, b, backend);
  }
  return recording(a, b) ? record(out, 'where', tensorsOf(a, b), { cond, a, b }) : out;
}

/** Converts to another dtype (float to int truncates toward zero); gradients flow between float dtypes. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return reshape(x, x.shape);
  const out = fromStorage(x.backend, x.backend.cast(x.storage, dtype), x.shape);
  if (!isFloat(dtype) || !isFloat(x.dtype)) return out;
  return record(out, 'cast', [x], { from: x.dtype });
}

export function scalar(value: number, dtype: DType = 'f32'): Tensor {
  return full([], value, { dtype });
}
