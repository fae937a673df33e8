/** RMSNorm without weight, forward (saving 1/rms per row) and backward (shaders/rmsnorm.wgsl). */
import type { Storage } from '../../../backend.js';
import body from '../../../../../../shaders/rmsnorm.wgsl';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { defineRowKernel, dispatchRows, expectCounts, expectOperand } from './nn-common.js';

const forwardKernel = defineRowKernel({
  name: 'rmsnorm_forward',
  body,
  defines: { PASS: 'forward' },
  inputs: { x: 'f32' },
  outputs: { y: 'f32', invRms: 'f32' },
  uniforms: { rows: 'u32', cols: 'u32', eps: 'f32' },
});

const backwardKernel = defineRowKernel({
  name: 'rmsnorm_backward',
  body,
  defines: { PASS: 'backward' },
  inputs: { dy: 'f32', x: 'f32', invRms: 'f32' },
  outputs: { dx: 'f32' },
  uniforms: { rows: 'u32', cols: 'u32' },
});

export function rmsNorm(engine: WebGpuEngine, x: Storage, rows: number, cols: number, eps: number): { y: GpuStorage; invRms: GpuStorage } {
  expectCounts('rmsNorm', { rows, cols });
  expectOperand('rmsNorm', 'x', x, 'f32', rows * cols);
  const y = engine.createStorage('f32', rows * cols);
  const invRms = engine.createStorage('f32', rows);
  dispatchRows(engine, forwardKernel, { inputs: { x }, outputs: { y, invRms }, uniforms: { rows, cols, eps } });
  return { y, invRms };
}

export function rmsNormBackward(engine: WebGpuEngine, dy: Storage, x: Storage, invRms: Storage, rows: number, cols: number): GpuStorage {
  expectCounts('rmsNormBackward', { rows, cols });
  expectOperand('rmsNormBackward', 'dy', dy, 'f32', rows * cols);
  expectOperand('rmsNormBackward', 'x', x, 'f32', rows * cols);
  expectOperand('rmsNormBackward', 'invRms', invRms, 'f32', rows);
  const dx = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, backwardKernel, { inputs: { dy, x, invRms }, outputs: { dx }, uniforms: { rows, cols } });
  return dx;
}
