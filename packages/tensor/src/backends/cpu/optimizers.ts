/**
 * Optimiser updates, in place on the parameter and its state; arithmetic in JavaScript numbers,
 * stored in the param's dtype (AdamATan2's atan2 is atan2F32 for f32 parameters).
 */
import type { AdamHyper, OptimizerHyper, Storage } from '../../backend.js';
import { atan2F32 } from './atan.js';
import { cpuStorage, expectNonNegativeInt, expectSameDtype, floatOperand, indexOperand } from './storage.js';

/** Maps the updated moments (m, v) of one element to the amount subtracted from the parameter. */
type AdamDirection = (m: number, v: number) => number;

function checkStep(kernel: string, step: number): void {
  if (!Number.isInteger(step) || step < 1) throw new Error(`cpu.${kernel}: expected a 1-based integer step, found ${step}`);
}

/** Decoupled weight decay, then the moment updates, then p -= direction(m, v). */
function adamUpdate(
  kernel: string,
  param: Storage,
  grad: Storage,
  m: Storage,
  v: Storage,
  h: OptimizerHyper & { beta1: number; beta2: number },
  direction: AdamDirection,
): void {
  const size = cpuStorage(param, kernel, 'param').size;
  const p = floatOperand(kernel, 'param', param, size);
  const g = floatOperand(kernel, 'grad', grad, size);
  const ms = floatOperand(kernel, 'm', m, size);
  const vs = floatOperand(kernel, 'v', v, size);
  expectSameDtype(kernel, { param, grad, m, v });
  const decay = 1 - h.lr * h.weightDecay;
  const [mRate, vRate] = [1 - h.beta1, 1 - h.beta2];
  for (let i = 0; i < size; i++) {
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
  const stepSize = h.lr / (1 - h.beta1 ** h.step);
  const vScale = Math.sqrt(1 - h.beta2 ** h.step);
  const atan2 = cpuStorage(param, 'adamATan2Update', 'param').dtype === 'f32' ? atan2F32 : Math.atan2;
  adamUpdate('adamATan2Update', param, grad, m, v, h, (mi, vi) => stepSize * atan2(mi, Math.sqrt(vi) / vScale));
}

/** AdamW: p -= lr * m_hat / (sqrt(v_hat) + eps), after decoupled weight decay. */
export function adamWUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper & { eps: number }): void {
  checkStep('adamWUpdate', h.step);
  const c1 = 1 - h.beta1 ** h.step;
  const c2 = 1 - h.beta2 ** h.step;
  adamUpdate('adamWUpdate', param, grad, m, v, h, (mi, vi) => (h.lr * (mi / c1)) / (Math.sqrt(vi / c2) + h.eps));
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
