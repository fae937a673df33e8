/** RMSNorm without weight, forward (saving 1/rms per row) and backward (shaders/rmsnorm.wgsl). */
import type { Storage } from '../../../backend.js';
import rmsnormSource from '../../../../../../shaders/rmsnorm.wgsl';
import { packUniforms, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { dispatchRows, expectCounts, expectOperand, rowKernelSource } from './nn-common.js';

const source = rowKernelSource(rmsnormSource);

export function rmsNorm(engine: WebGpuEngine, x: Storage, rows: number, cols: number, eps: number): { y: GpuStorage; invRms: GpuStorage } {
  expectCounts('rmsNorm', { rows, cols });
  expectOperand('rmsNorm', 'x', x, 'f32', rows * cols);
  const y = engine.createStorage('f32', rows * cols);
  const invRms = engine.createStorage('f32', rows);
  dispatchRows(engine, {
    name: 'rmsnorm_forward',
    source,
    defines: { PASS: 'forward' },
    rows,
    cols,
    inputs: [x],
    outputs: [y, invRms],
    uniforms: packUniforms([rows, cols, { f32: eps }]),
  });
  return { y, invRms };
}

export function rmsNormBackward(engine: WebGpuEngine, dy: Storage, x: Storage, invRms: Storage, rows: number, cols: number): GpuStorage {
  expectCounts('rmsNormBackward', { rows, cols });
  expectOperand('rmsNormBackward', 'dy', dy, 'f32', rows * cols);
  expectOperand('rmsNormBackward', 'x', x, 'f32', rows * cols);
  expectOperand('rmsNormBackward', 'invRms', invRms, 'f32', rows);
  const dx = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, {
    name: 'rmsnorm_backward',
    source,
    defines: { PASS: 'backward' },
    rows,
    cols,
    inputs: [dy, x, invRms],
    outputs: [dx],
    uniforms: packUniforms([rows, cols, { f32: 0 }]),
  });
  return dx;
}
