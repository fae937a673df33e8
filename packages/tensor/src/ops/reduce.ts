/** Reductions over axes (sum, mean, max, min, argmax, argmin, all, any); gradient rules in gradients/reduce.ts. */
import type { ReduceOp } from '../backend.js';
import { formatShape, normalizeAxes, normalizeAxis, padShape, type Shape, shapeSize } from '../shape.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage } from './creation.js';
import { div } from './elementwise.js';
import { reshape } from './movement.js';

/**
 * Runs `op` over the given (sorted) axes. Adjacent axes merge into one [outer, reduce, inner]
 * kernel launch; separate runs reduce one after another from the last. Returns the keepdim shape.
 */
function reduceKernel(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  let storage = x.storage;
  let shape = [...x.shape];
  let owned = false;
  for (const [first, last] of axisRuns(axes).reverse()) {
    const outer = shapeSize(shape.slice(0, first));
    const reduce = shapeSize(shape.slice(first, last + 1));
    const inner = shapeSize(shape.slice(last + 1));
    const next = x.backend.reduce(op, storage, outer, reduce, inner);
    if (owned) x.backend.free(storage);
    storage = next;
    owned = true;
    shape = shape.map((d, i) => (i >= first && i <= last ? 1 : d));
  }
  if (!owned) storage = x.backend.cast(storage, op === 'sum' && x.dtype === 'bool' ? 'i32' : x.dtype);
  return fromStorage(x.backend, storage, shape);
}

/** Groups sorted axes into runs of consecutive axes: [0, 1, 3] -> [[0, 1], [3, 3]]. */
function axisRuns(axes: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs.at(-1);
    if (last && last[1] === a - 1) last[1] = a;
    else runs.push([a, a]);
  }
  return runs;
}

function dropAxes(shape: Shape, axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

function finishShape(t: Tensor, x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? t : reshape(t, dropAxes(x.shape, axes));
}

/** Sum over axes (all by default). bool sums to i32. */
export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'sum');
  const kept = reduceKernel('sum', x, ax);
  record(kept, 'sum', [x], null);
  return finishShape(kept, x, ax, keepdim);
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normalizeAxes(axes, x.rank, 'mean');
  const count = ax.reduce((p, a) => p * x.shape[a]!, 1);
  return div(sum(x, ax, keepdim), count);
}

/** Max or min; the gradient is shared equally among tied extreme elements. */
function extreme(op: 'max' | 'min', x: Tensor, axes: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const ax = normalizeAxes(axes, x.rank, op);
  const kept = reduceKernel(op, x, ax);
  record(kept, op, [x], { axes: ax });
  return finishShape(kept, x, ax, keepdim);
}

export const max = (x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor => extreme('max', x, axes, keepdim);
export const min = (x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor => extreme('min', x, axes, keepdim);

/** Index (i32) of the first maximum along one axis. */
export function argmax(x: Tensor, axis: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, axis, keepdim);
}

export function argmin(x: Tensor, axis: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, axis, keepdim);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, axis: number, keepdim: boolean): Tensor {
  const a = normalizeAxis(axis, x.rank, op);
  return finishShape(reduceKernel(op, x, [a]), x, [a], keepdim);
}

/** True where every (any) element along the axes is true. Takes bool tensors. */
export function all(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return logicalReduce('min', x, axes, keepdim);
}

export function any(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return logicalReduce('max', x, axes, keepdim);
}

function logicalReduce(op: 'min' | 'max', x: Tensor, axes: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  if (x.dtype !== 'bool') throw new Error(`${op === 'min' ? 'all' : 'any'}: expected a bool tensor, found ${x.dtype}.`);
  const ax = normalizeAxes(axes, x.rank);
  return finishShape(reduceKernel(op, x, ax), x, ax, keepdim);
}

/** Sums a broadcast result back to `shape` (the inverse of broadcasting, for gradients). */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  if (shape.length > x.rank) throw new Error(`sumToShape: cannot reduce ${formatShape(x.shape)} to the larger rank of ${formatShape(shape)}.`);
  const padded = padShape(shape, x.rank);
  const axes = x.shape.flatMap((d, i) => (padded[i] === 1 && d !== 1 ? [i] : i < x.rank - shape.length ? [i] : []));
  if (axes.length === 0) return reshape(x, shape);
  return reshape(sum(x, axes, true), shape);
}
