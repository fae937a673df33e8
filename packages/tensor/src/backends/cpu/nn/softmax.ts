/** Softmax and log-softmax over the last axis, and their gradients given the forward output. */
import type { Storage } from '../../../backend.js';
import { expectSameDtype, floatLike, type FloatArray } from '../storage.js';
import { logSumExp, rowsOperand } from './rows.js';

function rowwise(kernel: string, x: Storage, rows: number, cols: number, map: (v: number, lse: number) => number): FloatArray {
  const src = rowsOperand(kernel, 'x', x, rows, cols);
  const out = floatLike(src, src.length);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    const lse = logSumExp(src, off, cols);
    for (let j = off; j < off + cols; j++) out[j] = map(src[j], lse);
  }
  return out;
}

export function softmax(x: Storage, rows: number, cols: number): FloatArray {
  return rowwise('softmax', x, rows, cols, (v, lse) => Math.exp(v - lse));
}

export function logSoftmax(x: Storage, rows: number, cols: number): FloatArray {
  return rowwise('logSoftmax', x, rows, cols, (v, lse) => v - lse);
}

/** dx_j = grad(y_j, dy_j, rowSum) where rowSum = sum over the row of `summand(y, dy)`. */
function rowwiseBackward(
  kernel: string,
  y: Storage,
  dy: Storage,
  rows: number,
  cols: number,
  summand: (y: number, dy: number) => number,
  grad: (y: number, dy: number, rowSum: number) => number,
): FloatArray {
  const ys = rowsOperand(kernel, 'y', y, rows, cols);
  const dys = rowsOperand(kernel, 'dy', dy, rows, cols);
  expectSameDtype(kernel, { y, dy });
  const out = floatLike(ys, ys.length);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let sum = 0;
    for (let j = off; j < off + cols; j++) sum += summand(ys[j], dys[j]);
    for (let j = off; j < off + cols; j++) out[j] = grad(ys[j], dys[j], sum);
  }
  return out;
}

export function softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): FloatArray {
  return rowwiseBackward('softmaxBackward', y, dy, rows, cols, (yv, d) => yv * d, (yv, d, dot) => yv * (d - dot));
}

export function logSoftmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): FloatArray {
  return rowwiseBackward('logSoftmaxBackward', y, dy, rows, cols, (_, d) => d, (yv, d, sum) => d - Math.exp(yv) * sum);
}
