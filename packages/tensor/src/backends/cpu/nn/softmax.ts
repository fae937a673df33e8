/**
 * Softmax and log-softmax over the last axis, and their gradients given the forward output: one
 * pass per row for the maximum, one for the exponentials, one to scale, each a plain loop (no
 * per-element callbacks), in the input's precision (exp32 for f32, Math.exp for f64).
 */
import type { Storage } from '../../../backend.js';
import { expFor } from '../exp.js';
import { expectSameDtype, floatLike, type FloatArray } from '../storage.js';
import { rowMax, rowsOperand } from './rows.js';

/**
 * softmax (log false) or log-softmax (log true) of each row. A row whose maximum is not finite
 * (all -Infinity, or holding +Infinity or NaN) follows from its lse = that maximum, as the
 * unfused definition exp(x - lse) would.
 */
function rowSoftmax(kernel: string, x: Storage, rows: number, cols: number, log: boolean): FloatArray {
  const src = rowsOperand(kernel, 'x', x, rows, cols);
  const out = floatLike(src, src.length);
  const exp = expFor(src);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    const end = off + cols;
    const max = rowMax(src, off, cols);
    if (!Number.isFinite(max)) {
      for (let j = off; j < end; j++) out[j] = log ? src[j]! - max : exp(src[j]! - max);
      continue;
    }
    let sum = 0;
    for (let j = off; j < end; j++) {
      const e = exp(src[j]! - max);
      if (!log) out[j] = e;
      sum += e;
    }
    if (log) {
      const lse = max + Math.log(sum);
      for (let j = off; j < end; j++) out[j] = src[j]! - lse;
    } else {
      const inv = 1 / sum;
      for (let j = off; j < end; j++) out[j]! *= inv;
    }
  }
  return out;
}

export function softmax(x: Storage, rows: number, cols: number): FloatArray {
  return rowSoftmax('softmax', x, rows, cols, false);
}

export function logSoftmax(x: Storage, rows: number, cols: number): FloatArray {
  return rowSoftmax('logSoftmax', x, rows, cols, true);
}

function backwardOperands(kernel: string, y: Storage, dy: Storage, rows: number, cols: number): { ys: FloatArray; dys: FloatArray; out: FloatArray } {
  const ys = rowsOperand(kernel, 'y', y, rows, cols);
  const dys = rowsOperand(kernel, 'dy', dy, rows, cols);
  expectSameDtype(kernel, { y, dy });
  return { ys, dys, out: floatLike(ys, ys.length) };
}

/** dx = y * (dy - sum(dy * y)) per row. */
export function softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): FloatArray {
  const { ys, dys, out } = backwardOperands('softmaxBackward', y, dy, rows, cols);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let dot = 0;
    for (let j = off; j < off + cols; j++) dot += ys[j]! * dys[j]!;
    for (let j = off; j < off + cols; j++) out[j] = ys[j]! * (dys[j]! - dot);
  }
  return out;
}

/** dx = dy - exp(y) * sum(dy) per row. */
export function logSoftmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): FloatArray {
  const { ys, dys, out } = backwardOperands('logSoftmaxBackward', y, dy, rows, cols);
  const exp = expFor(ys);
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let sum = 0;
    for (let j = off; j < off + cols; j++) sum += dys[j]!;
    for (let j = off; j < off + cols; j++) out[j] = dys[j]! - exp(ys[j]!) * sum;
  }
  return out;
}
