/**
 * Optimiser updates, in place on the parameter and its state; arithmetic in JavaScript numbers,
 * stored in the param's dtype (AdamATan2's atan2 is atan2F32 for f32 parameters). With SIMD on,
 * f32 AdamATan2 runs its whole vectors in f32 arithmetic on the WebAssembly kernel (adam-atan2.ts).
 */
import type { AdamHyper, OptimizerHyper, Storage } from '../../backend.js';
import { atan2F32 } from './atan.js';
import { cpuStorage, expectNonNegativeInt, expectSameDtype, floatOperand, indexOperand, type FloatArray } from './storage.js';
import { cpuSimdEnabled } from './wasm/features.js';
import { rowKernels } from './wasm/row-kernels.js';

/** Maps the updated moments (m, v) of one element to the amount subtracted from the parameter. */
type AdamDirection = (m: number, v: number) => number;

function checkStep(kernel: string, step: number): void {
  if (!Number.isInteger(step) || step < 1) throw new Error(`cpu.${kernel}: expected a 1-based integer step, found ${step}`);
}

interface AdamState {
  p: FloatArray;
  g: FloatArray;
  m: FloatArray;
  v: FloatArray;
}

function adamState(kernel: string, param: Storage, grad: Storage, m: Storage, v: Storage): AdamState {
  const size = cpuStorage(param, kernel, 'param').size;
  const state = {
    p: floatOperand(kernel, 'param', param, size),
    g: floatOperand(kernel, 'grad', grad, size),
    m: floatOperand(kernel, 'm', m, size),
    v: floatOperand(kernel, 'v', v, size),
  };
  expectSameDtype(kernel, { param, grad, m, v });
  return state;
}

/** Decoupled weight decay, then the moment updates, then p -= direction(m, v), on elements [from, size). */
function adamUpdate(state: AdamState, h: OptimizerHyper & { beta1: number; beta2: number }, direction: AdamDirection, from = 0): void {
  const { p, g, m: ms, v: vs } = state;
  const decay = 1 - h.lr * h.weightDecay;
  const [mRate, vRate] = [1 - h.beta1, 1 - h.beta2];
  for (let i = from; i < p.length; i++) {
    const gi = g[i];
    const mi = ms[i]! + mRate * (gi! - ms[i]!);
    const vi = vs[i]! + vRate * (gi! * gi! - vs[i]!);
    ms[i] = mi;
    vs[i] = vi;
    p[i] = p[i]! * decay - direction(mi, vi);
  }
}

/** HRM spec section 6: p -= (lr / (1 - b1^t)) * atan2(m, sqrt(v) / sqrt(1 - b2^t)); no epsilon. */
export function adamATan2Update(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper): void {
  checkStep('adamATan2Update', h.step);
  const state = adamState('adamATan2Update', param, grad, m, v);
  const stepSize = h.lr / (1 - h.beta1 ** h.step);
  const vScale = Math.sqrt(1 - h.beta2 ** h.step);
  const f32 = state.p instanceof Float32Array;
  // f32 with SIMD on: whole vectors in the WebAssembly kernel (f32 arithmetic), the tail below.
  const vectors = f32 && cpuSimdEnabled() ? state.p.length & ~3 : 0;
  if (vectors > 0) {
    const constants = { decay: 1 - h.lr * h.weightDecay, mRate: 1 - h.beta1, vRate: 1 - h.beta2, stepSize, vScale };
    rowKernels().adamAtan2(state as { p: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array }, vectors, constants);
  }
  const atan2 = f32 ? atan2F32 : Math.atan2;
  adamUpdate(state, h, (mi, vi) => stepSize * atan2(mi, Math.sqrt(vi) / vScale), vectors);
}

/** AdamW: p -= lr * m_hat / (sqrt(v_hat) + eps), after decoupled weight decay. */
export function adamWUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper & { eps: number }): void {
  checkStep('adamWUpdate', h.step);
  const c1 = 1 - h.beta1 ** h.step;
  const c2 = 1 - h.beta2 ** h.step;
  adamUpdate(adamState('adamWUpdate', param, grad, m, v), h, (mi, vi) => (h.lr * (mi / c1)) / (Math.sqrt(vi / c2) + h.eps));
}

/** Sparse SignSGD on the rows named by ids, duplicate ids' gradients summed first. */
export function signSgdRows(table: Storage, ids: Storage, grads: Storage, n: number, dim: number, h: OptimizerHyper): void {
  const kernel = 'signSgdRows';
  expectNonNegativeInt(kernel, 'n', n);
  expectNonNegativeInt(kernel, 'dim', dim);
  const t = floatOperand(kernel, 'table', table, n * dim);
  const count = cpuStorage(ids, kernel, 'ids').size;
  const idx = indexOperand(kernel, 'ids', ids, count, n);
  const g = floatOperand(kernel, 'grads', grads, count * dim);
  expectSameDtype(kernel, { table, grads });
  const sums = new Map<number, Float64Array>();
  for (let j = 0; j < count; j++) {
    let sum = sums.get(idx[j]!);
    if (!sum) sums.set(idx[j]!, (sum = new Float64Array(dim)));
    for (let c = 0; c < dim; c++) sum[c]! += g[j * dim + c]!;
  }
  const decay = 1 - h.lr * h.weightDecay;
  for (const [row, sum] of sums) {
    const off = row * dim;
    for (let c = 0; c < dim; c++) t[off + c] = t[off + c]! * decay - h.lr * Math.sign(sum[c]!);
  }
}
