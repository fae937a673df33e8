/**
 * RMSNorm without weight over the last axis, returning 1/rms per row for the backward pass. f32
 * takes the WebAssembly SIMD kernel (wasm/row-kernels.ts, sums in f32) when SIMD is on; these loops
 * (sums in f64) are its reference and fallback.
 */
import type { Storage } from '../../../backend.js';
import { expectSameDtype, floatLike, type FloatArray } from '../storage.js';
import { cpuSimdEnabled } from '../wasm/features.js';
import { rowKernels } from '../wasm/row-kernels.js';
import { rowsOperand } from './rows.js';

export function rmsNorm(x: Storage, rows: number, cols: number, eps: number): { y: FloatArray; invRms: FloatArray } {
  const src = rowsOperand('rmsNorm', 'x', x, rows, cols);
  const y = floatLike(src, src.length, 'uninitialized');
  const invRms = floatLike(src, rows, 'uninitialized');
  if (src instanceof Float32Array && cpuSimdEnabled()) {
    rowKernels().rmsNorm(src, y as Float32Array, invRms as Float32Array, rows, cols, eps);
    return { y, invRms };
  }
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    let sumSq = 0;
    for (let j = off; j < off + cols; j++) sumSq += src[j]! * src[j]!;
    const inv = 1 / Math.sqrt(sumSq / cols + eps);
    invRms[r] = inv;
    // Four stores per iteration (see copyRow in memory.ts for why that pays in V8).
    let j = off;
    for (const end4 = off + (cols & ~3); j < end4; j += 4) {
      y[j] = src[j]! * inv;
      y[j + 1] = src[j + 1]! * inv;
      y[j + 2] = src[j + 2]! * inv;
      y[j + 3] = src[j + 3]! * inv;
    }
    for (; j < off + cols; j++) y[j] = src[j]! * inv;
  }
  return { y, invRms };
}

export function rmsNormBackward(dy: Storage, x: Storage, invRms: Storage, rows: number, cols: number): FloatArray {
  const k = 'rmsNormBackward';
  const g = rowsOperand(k, 'dy', dy, rows, cols);
  const xs = rowsOperand(k, 'x', x, rows, cols);
  const inv = rowsOperand(k, 'invRms', invRms, rows, 1);
  expectSameDtype(k, { x, dy, invRms });
  const dx = floatLike(xs, xs.length, 'uninitialized');
  if (xs instanceof Float32Array && g instanceof Float32Array && inv instanceof Float32Array && cpuSimdEnabled()) {
    rowKernels().rmsNormBackward(g, xs, inv, dx as Float32Array, rows, cols);
    return dx;
  }
  for (let r = 0, off = 0; r < rows; r++, off += cols) {
    const ir = inv[r];
    let dot = 0;
    for (let j = off; j < off + cols; j++) dot += g[j]! * xs[j]! * ir!;
    const c = ir! * (dot / cols);
    let j = off;
    for (const end4 = off + (cols & ~3); j < end4; j += 4) {
      dx[j] = ir! * (g[j]! - xs[j]! * c);
      dx[j + 1] = ir! * (g[j + 1]! - xs[j + 1]! * c);
      dx[j + 2] = ir! * (g[j + 2]! - xs[j + 2]! * c);
      dx[j + 3] = ir! * (g[j + 3]! - xs[j + 3]! * c);
    }
    for (; j < off + cols; j++) dx[j] = ir! * (g[j]! - xs[j]! * c);
  }
  return dx;
}
