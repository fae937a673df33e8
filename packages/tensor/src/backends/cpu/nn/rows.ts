/** Shared helpers of the row-wise neural-net kernels. */
import type { Storage } from '../../../backend.js';
import { expectNonNegativeInt, floatOperand, type FloatArray } from '../storage.js';

/** A float operand of `rows * cols` elements, after checking that the dimensions are valid. */
export function rowsOperand(kernel: string, operand: string, s: Storage, rows: number, cols: number): FloatArray {
  expectNonNegativeInt(kernel, 'rows', rows);
  expectNonNegativeInt(kernel, 'cols', cols);
  return floatOperand(kernel, operand, s, rows * cols);
}

/** The maximum of x[off .. off+len): NaN if any element is NaN, -Infinity for an empty row. */
export function rowMax(x: ArrayLike<number>, off: number, len: number): number {
  let max = -Infinity;
  for (let j = 0; j < len; j++) if (x[off + j]! > max || x[off + j] !== x[off + j]) max = x[off + j]!;
  return max;
}

/** log(sum(exp(x[off .. off+len)))) with the maximum subtracted first; -Infinity for an empty or all -Infinity row. */
export function logSumExp(x: ArrayLike<number>, off: number, len: number): number {
  const max = rowMax(x, off, len);
  if (max === -Infinity || max === Infinity || max !== max) return max;
  let sum = 0;
  for (let j = 0; j < len; j++) sum += Math.exp(x[off + j]! - max);
  return max + Math.log(sum);
}
