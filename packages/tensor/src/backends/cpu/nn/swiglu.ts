/** SwiGLU on a fused [rows, 2*inter] gate/up projection (gate first): out = silu(gate) * up. */
import type { Storage } from '../../../backend.js';
import { sigmoid } from '../elementwise.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, type FloatArray } from '../storage.js';

export function swiglu(gateUp: Storage, rows: number, inter: number): FloatArray {
  expectNonNegativeInt('swiglu', 'rows', rows);
  expectNonNegativeInt('swiglu', 'inter', inter);
  const gu = floatOperand('swiglu', 'gateUp', gateUp, rows * 2 * inter);
  const out = floatLike(gu, rows * inter);
  for (let r = 0; r < rows; r++) {
    const g0 = r * 2 * inter;
    for (let j = 0; j < inter; j++) {
      const g = gu[g0 + j];
      out[r * inter + j] = g * sigmoid(g) * gu[g0 + inter + j];
    }
  }
  return out;
}

export function swigluBackward(gateUp: Storage, dOut: Storage, rows: number, inter: number): FloatArray {
  const k = 'swigluBackward';
  expectNonNegativeInt(k, 'rows', rows);
  expectNonNegativeInt(k, 'inter', inter);
  const gu = floatOperand(k, 'gateUp', gateUp, rows * 2 * inter);
  const d = floatOperand(k, 'dOut', dOut, rows * inter);
  expectSameDtype(k, { gateUp, dOut });
  const dgu = floatLike(gu, gu.length);
  for (let r = 0; r < rows; r++) {
    const g0 = r * 2 * inter;
    for (let j = 0; j < inter; j++) {
      const g = gu[g0 + j];
      const up = gu[g0 + inter + j];
      const dy = d[r * inter + j];
      const s = sigmoid(g);
      // silu'(g) = s * (1 + g * (1 - s))
      dgu[g0 + j] = dy * up * s * (1 + g * (1 - s));
      dgu[g0 + inter + j] = dy * g * s;
    }
  }
  return dgu;
}
