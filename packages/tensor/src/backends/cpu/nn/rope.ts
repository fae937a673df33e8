/**
 * Rotate-half RoPE: y = x * cos + rotateHalf(x) * sin, rotateHalf([x1, x2]) = [-x2, x1].
 * `adjoint` applies the transposed map, the backward pass for any tables:
 * dx = dy * cos - rotateHalf(dy * sin), i.e. dx1 = dy1 c1 + dy2 s2 and dx2 = dy2 c2 - dy1 s1.
 * (For standard tables, whose halves repeat, that is the inverse rotation.)
 */
import type { Storage } from '../../../backend.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, type FloatArray } from '../storage.js';

export function rope(x: Storage, cos: Storage, sin: Storage, batch: number, heads: number, seq: number, dim: number, adjoint: boolean): FloatArray {
  for (const [name, v] of Object.entries({ batch, heads, seq, dim })) expectNonNegativeInt('rope', name, v);
  if (dim % 2 !== 0) throw new Error(`cpu.rope: expected an even dim, found ${dim}`);
  const xs = floatOperand('rope', 'x', x, batch * heads * seq * dim);
  const c = floatOperand('rope', 'cos', cos, seq * dim);
  const s = floatOperand('rope', 'sin', sin, seq * dim);
  expectSameDtype('rope', { x, cos, sin });
  const y = floatLike(xs, xs.length);
  for (let row = 0; row < batch * heads * seq; row++) rotateRow(xs, row * dim, y, row * dim, c, s, (row % seq) * dim, dim, adjoint);
  return y;
}

/**
 * One row of `dim` elements: y[yOff ..] = RoPE(x[xOff ..]) with the tables' row at tOff, or its
 * adjoint. Shared by rope and the packed attention's head gather and scatter, so that both give
 * the same bits.
 */
export function rotateRow(
  x: FloatArray,
  xOff: number,
  y: FloatArray,
  yOff: number,
  c: FloatArray,
  s: FloatArray,
  tOff: number,
  dim: number,
  adjoint: boolean,
): void {
  const half = dim / 2;
  const sign = adjoint ? -1 : 1;
  // The sin entry each half is multiplied by: its own in the forward map, its partner's in the adjoint.
  const sinLow = tOff + (adjoint ? half : 0);
  const sinHigh = tOff + (adjoint ? 0 : half);
  for (let j = 0; j < half; j++) {
    const x1 = x[xOff + j];
    const x2 = x[xOff + j + half];
    y[yOff + j] = x1! * c[tOff + j]! - sign * x2! * s[sinLow + j]!;
    y[yOff + j + half] = x2! * c[tOff + j + half]! + sign * x1! * s[sinHigh + j]!;
  }
}
