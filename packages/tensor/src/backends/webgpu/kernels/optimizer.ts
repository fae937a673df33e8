/**
 * Fused optimiser updates, in place (shaders/optimizer.wgsl): AdamATan2 (HRM spec section 6),
 * AdamW, and sparse SignSGD on the rows named by ids. Bias corrections are computed here in f64.
 */
import type { AdamHyper, OptimizerHyper, Storage } from '../../../backend.js';
import body from '../../../../../../shaders/optimizer.wgsl';
import { asGpuStorage, type WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';
import { expectCounts, expectOperand } from './nn-common.js';

const WORKGROUP_SIZE = 64;
const SIGN_SGD_THREADS = 64;

const adamKernel = defineKernel({
  name: 'adam',
  body,
  entryPoint: 'adam',
  defines: { SIGN_SGD: false },
  inputs: { grad: 'f32' },
  outputs: { param: 'f32', m: 'f32', v: 'f32' },
  uniforms: { size: 'u32', decay: 'f32', mRate: 'f32', vRate: 'f32', stepSize: 'f32', vScale: 'f32', eps: 'f32' },
  workgroupSize: () => [WORKGROUP_SIZE],
  variants: { adamATan2: { ATAN2: true }, adamW: { ATAN2: false } },
});

const signSgdKernel = defineKernel({
  name: 'signSgdRows',
  body,
  entryPoint: 'signSgdRows',
  defines: { SIGN_SGD: true },
  inputs: { ids: 'i32', grads: 'f32' },
  outputs: { table: 'f32' },
  uniforms: { count: 'u32', n: 'u32', dim: 'u32', decay: 'f32', lr: 'f32' },
  workgroupSize: () => [SIGN_SGD_THREADS],
  variants: { narrow: { COLS_PER_THREAD: 1 }, wide: { COLS_PER_THREAD: 3 } },
});

function checkStep(kernel: string, step: number): void {
  if (!Number.isInteger(step) || step < 1) throw new Error(`webgpu ${kernel}: expected a 1-based integer step, found ${step}`);
}

function adam(
  kernel: string,
  engine: WebGpuEngine,
  param: Storage,
  grad: Storage,
  m: Storage,
  v: Storage,
  h: AdamHyper,
  atan2: boolean,
  stepSize: number,
  vScale: number,
  eps: number,
): void {
  checkStep(kernel, h.step);
  const size = asGpuStorage(param).size;
  for (const [name, s] of Object.entries({ param, grad, m, v })) expectOperand(kernel, name, s, 'f32', size);
  engine.dispatch(adamKernel, {
    suffix: atan2 ? '_atan2' : '_w',
    defines: { ATAN2: atan2 },
    workgroups: engine.grid(size, WORKGROUP_SIZE),
    inputs: { grad },
    outputs: { param, m, v },
    uniforms: { size, decay: 1 - h.lr * h.weightDecay, mRate: 1 - h.beta1, vRate: 1 - h.beta2, stepSize, vScale, eps },
  });
}

export function adamATan2Update(engine: WebGpuEngine, param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper): void {
  const stepSize = h.lr / (1 - h.beta1 ** h.step);
  adam('adamATan2Update', engine, param, grad, m, v, h, true, stepSize, Math.sqrt(1 - h.beta2 ** h.step), 0);
}

export function adamWUpdate(engine: WebGpuEngine, param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper & { eps: number }): void {
  const stepSize = h.lr / (1 - h.beta1 ** h.step);
  adam('adamWUpdate', engine, param, grad, m, v, h, false, stepSize, 1 / Math.sqrt(1 - h.beta2 ** h.step), h.eps);
}

export function signSgdRows(engine: WebGpuEngine, table: Storage, ids: Storage, grads: Storage, n: number, dim: number, h: OptimizerHyper): void {
  expectCounts('signSgdRows', { n, dim });
  const count = asGpuStorage(ids).size;
  expectOperand('signSgdRows', 'table', table, 'f32', n * dim);
  expectOperand('signSgdRows', 'ids', ids, 'i32', count);
  expectOperand('signSgdRows', 'grads', grads, 'f32', count * dim);
  if (count === 0 || dim === 0) return;
  engine.dispatch(signSgdKernel, {
    defines: { COLS_PER_THREAD: Math.ceil(dim / SIGN_SGD_THREADS) },
    workgroups: engine.grid(count, 1),
    inputs: { ids, grads },
    outputs: { table },
    uniforms: { count, n, dim, decay: 1 - h.lr * h.weightDecay, lr: h.lr },
  });
}
