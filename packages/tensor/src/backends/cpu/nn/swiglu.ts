/**
 * SwiGLU on a fused [rows, 2*inter] gate/up projection (gate first): out = silu(gate) * up, in the
 * input's precision (exp32 for f32, Math.exp for f64). f32 takes the WebAssembly SIMD kernel
 * (wasm/row-kernels.ts) when SIMD is on; these loops are its reference and fallback.
 */
import type { Storage } from '../../../backend.js';
import { expFor } from '../exp.js';
import { cpuSimdEnabled } from '../wasm/features.js';
import { rowKernels } from '../wasm/row-kernels.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, type FloatArray } from '../storage.js';

export function swiglu(gateUp: Storage, rows: number, inter: number): FloatArray {
  expectNonNegativeInt('swiglu', 'rows', rows);
  expectNonNegativeInt('swiglu', 'inter', inter);
  const gu = floatOperand('swiglu', 'gateUp', gateUp, rows * 2 * inter);
  const out = floatLike(gu, rows * inter, 'uninitialized');
  if (gu instanceof Float32Array && cpuSimdEnabled()) {
    rowKernels().swiglu(gu, out as Float32Array, rows, inter);
    return out;
  }
  const exp = expFor(gu);
  for (let r = 0, g0 = 0, o = 0; r < rows; r++, g0 += 2 * inter) {
    for (let j = 0; j < inter; j++, o++) {
      const g = gu[g0 + j];
      // silu(g) = g / (1 + exp(-g)): where exp(-g) overflows, g / Infinity is the correct -0.
      out[o] = (g! / (1 + exp(-g!))) * gu[g0 + inter + j]!;
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
  const dgu = floatLike(gu, gu.length, 'uninitialized');
  if (gu instanceof Float32Array && d instanceof Float32Array && cpuSimdEnabled()) {
    rowKernels().swigluBackward(gu, d, dgu as Float32Array, rows, inter);
    return dgu;
  }
  const exp = expFor(gu);
  for (let r = 0, g0 = 0, o = 0; r < rows; r++, g0 += 2 * inter) {
    for (let j = 0; j < inter; j++, o++) {
      const g = gu[g0 + j];
      const up = gu[g0 + inter + j];
      const dy = d[o];
      const s = 1 / (1 + exp(-g!));
      // silu'(g) = s * (1 + g * (1 - s))
      dgu[g0 + j] = dy! * up! * s * (1 + g! * (1 - s));
      dgu[g0 + inter + j] = dy! * g! * s;
    }
  }
  return dgu;
}
