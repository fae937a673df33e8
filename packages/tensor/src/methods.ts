/**
 * Chainable op methods on Tensor (`x.add(y).sum(-1)`), attached to the prototype by
 * installTensorMethods() (index.ts calls it) so that tensor.ts stays free of op imports. Each
 * method is the free function of the same name.
 */
import type { DType } from './backend.js';
import { backward } from './autodiff.js';
import * as ew from './ops/elementwise.js';
import { gather } from './ops/indexing.js';
import { matmul } from './ops/matmul.js';
import * as mv from './ops/movement.js';
import * as rd from './ops/reduce.js';
import type { Shape } from './shape.js';
import { Tensor } from './tensor.js';

type Operand = Tensor | number;
type Axes = number | readonly number[];

declare module './tensor.js' {
  interface Tensor {
    backward(grad?: Tensor): void;
    add(b: Operand): Tensor;
    sub(b: Operand): Tensor;
    mul(b: Operand): Tensor;
    div(b: Operand): Tensor;
    pow(b: Operand): Tensor;
    maximum(b: Operand): Tensor;
    minimum(b: Operand): Tensor;
    eq(b: Operand): Tensor;
    ne(b: Operand): Tensor;
    lt(b: Operand): Tensor;
    le(b: Operand): Tensor;
    gt(b: Operand): Tensor;
    ge(b: Operand): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    silu(): Tensor;
    relu(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    cast(dtype: DType): Tensor;
    sum(axes?: Axes, keepdim?: boolean): Tensor;
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    max(axes?: Axes, keepdim?: boolean): Tensor;
    min(axes?: Axes, keepdim?: boolean): Tensor;
    argmax(axis: number, keepdim?: boolean): Tensor;
    argmin(axis: number, keepdim?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    reshape(shape: Shape): Tensor;
    transpose(a?: number, b?: number): Tensor;
    permute(axes: readonly number[]): Tensor;
    slice(axis: number, start: number, end?: number): Tensor;
    expand(shape: Shape): Tensor;
    contiguous(): Tensor;
    gather(ids: Tensor, axis?: number): Tensor;
  }
}

const binary = {
  add: ew.add,
  sub: ew.sub,
  mul: ew.mul,
  div: ew.div,
  pow: ew.pow,
  maximum: ew.maximum,
  minimum: ew.minimum,
  eq: ew.eq,
  ne: ew.ne,
  lt: ew.lt,
  le: ew.le,
  gt: ew.gt,
  ge: ew.ge,
};
const unary = {
  neg: ew.neg,
  exp: ew.exp,
  log: ew.log,
  sqrt: ew.sqrt,
  rsqrt: ew.rsqrt,
  tanh: ew.tanh,
  sigmoid: ew.sigmoid,
  silu: ew.silu,
  relu: ew.relu,
  abs: ew.abs,
  square: ew.square,
};

/**
 * Attaches the methods to Tensor.prototype (idempotent). A call rather than an import for its side
 * effect: bundlers drop side-effect-only imports of modules the package's `sideEffects` field does
 * not list, which left built tensors without `backward()`.
 */
export function installTensorMethods(): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(binary))
    proto[name] = function (this: Tensor, b: Operand) {
      return fn(this, b);
    };
  for (const [name, fn] of Object.entries(unary))
    proto[name] = function (this: Tensor) {
      return fn(this);
    };

  Object.assign(Tensor.prototype, {
    backward(this: Tensor, grad?: Tensor) {
      backward(this, grad);
    },
    cast(this: Tensor, dtype: DType) {
      return ew.cast(this, dtype);
    },
    sum(this: Tensor, axes?: Axes, keepdim?: boolean) {
      return rd.sum(this, axes, keepdim);
    },
    mean(this: Tensor, axes?: Axes, keepdim?: boolean) {
      return rd.mean(this, axes, keepdim);
    },
    max(this: Tensor, axes?: Axes, keepdim?: boolean) {
      return rd.max(this, axes, keepdim);
    },
    min(this: Tensor, axes?: Axes, keepdim?: boolean) {
      return rd.min(this, axes, keepdim);
    },
    argmax(this: Tensor, axis: number, keepdim?: boolean) {
      return rd.argmax(this, axis, keepdim);
    },
    argmin(this: Tensor, axis: number, keepdim?: boolean) {
      return rd.argmin(this, axis, keepdim);
    },
    matmul(this: Tensor, b: Tensor) {
      return matmul(this, b);
    },
    reshape(this: Tensor, shape: Shape) {
      return mv.reshape(this, shape);
    },
    transpose(this: Tensor, a?: number, b?: number) {
      return mv.transpose(this, a, b);
    },
    permute(this: Tensor, axes: readonly number[]) {
      return mv.permute(this, axes);
    },
    slice(this: Tensor, axis: number, start: number, end?: number) {
      return mv.slice(this, axis, start, end);
    },
    expand(this: Tensor, shape: Shape) {
      return mv.expand(this, shape);
    },
    contiguous(this: Tensor) {
      return mv.contiguous(this);
    },
    gather(this: Tensor, ids: Tensor, axis?: number) {
      return gather(this, ids, axis);
    },
  });
}
