/** Softmax and log-softmax over rows, and their gradients from the forward output (shaders/softmax.wgsl). */
import type { Storage } from '../../../backend.js';
import body from '../../../../../../shaders/softmax.wgsl';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { defineRowKernel, dispatchRows, expectCounts, expectOperand } from './nn-common.js';

const LOG_VARIANTS = { softmax: { LOG: false }, log: { LOG: true } };

const forwardKernel = defineRowKernel({
  name: 'softmax',
  body,
  defines: { BACKWARD: false },
  inputs: { x: 'f32' },
  outputs: { y: 'f32' },
  uniforms: { rows: 'u32', cols: 'u32' },
  variants: LOG_VARIANTS,
});

const backwardKernel = defineRowKernel({
  name: 'softmaxBackward',
  body,
  defines: { BACKWARD: true },
  inputs: { y: 'f32', dy: 'f32' },
  outputs: { dx: 'f32' },
  uniforms: { rows: 'u32', cols: 'u32' },
  variants: LOG_VARIANTS,
});

function forward(engine: WebGpuEngine, log: boolean, x: Storage, rows: number, cols: number): GpuStorage {
  const kernel = log ? 'logSoftmax' : 'softmax';
  expectCounts(kernel, { rows, cols });
  expectOperand(kernel, 'x', x, 'f32', rows * cols);
  const y = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, forwardKernel, { suffix: log ? '_log' : '', defines: { LOG: log }, inputs: { x }, outputs: { y }, uniforms: { rows, cols } });
  return y;
}

function backward(engine: WebGpuEngine, log: boolean, y: Storage, dy: Storage, rows: number, cols: number): GpuStorage {
  const kernel = log ? 'logSoftmaxBackward' : 'softmaxBackward';
  expectCounts(kernel, { rows, cols });
  expectOperand(kernel, 'y', y, 'f32', rows * cols);
  expectOperand(kernel, 'dy', dy, 'f32', rows * cols);
  const dx = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, backwardKernel, { suffix: log ? '_log' : '', defines: { LOG: log }, inputs: { y, dy }, outputs: { dx }, uniforms: { rows, cols } });
  return dx;
}

export const softmax = (engine: WebGpuEngine, x: Storage, rows: number, cols: number) => forward(engine, false, x, rows, cols);
export const logSoftmax = (engine: WebGpuEngine, x: Storage, rows: number, cols: number) => forward(engine, true, x, rows, cols);
export const softmaxBackward = (engine: WebGpuEngine, y: Storage, dy: Storage, rows: number, cols: number) => backward(engine, false, y, dy, rows, cols);
export const logSoftmaxBackward = (engine: WebGpuEngine, y: Storage, dy: Storage, rows: number, cols: number) => backward(engine, true, y, dy, rows, cols);
