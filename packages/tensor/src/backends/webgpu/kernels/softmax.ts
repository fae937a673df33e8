/** Softmax and log-softmax over rows, and their gradients from the forward output (shaders/softmax.wgsl). */
import type { Storage } from '../../../backend.js';
import softmaxSource from '../../../../../../shaders/softmax.wgsl';
import { packUniforms, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { dispatchRows, expectCounts, expectOperand, rowKernelSource } from './nn-common.js';

const source = rowKernelSource(softmaxSource);

function forward(engine: WebGpuEngine, log: boolean, x: Storage, rows: number, cols: number): GpuStorage {
  const kernel = log ? 'logSoftmax' : 'softmax';
  expectCounts(kernel, { rows, cols });
  expectOperand(kernel, 'x', x, 'f32', rows * cols);
  const y = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, { name: kernel, source, defines: { LOG: log, BACKWARD: false }, rows, cols, inputs: [x], outputs: [y], uniforms: packUniforms([rows, cols]) });
  return y;
}

function backward(engine: WebGpuEngine, log: boolean, y: Storage, dy: Storage, rows: number, cols: number): GpuStorage {
  const kernel = log ? 'logSoftmaxBackward' : 'softmaxBackward';
  expectCounts(kernel, { rows, cols });
  expectOperand(kernel, 'y', y, 'f32', rows * cols);
  expectOperand(kernel, 'dy', dy, 'f32', rows * cols);
  const dx = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, { name: kernel, source, defines: { LOG: log, BACKWARD: true }, rows, cols, inputs: [y, dy], outputs: [dx], uniforms: packUniforms([rows, cols]) });
  return dx;
}

export const softmax = (engine: WebGpuEngine, x: Storage, rows: number, cols: number) => forward(engine, false, x, rows, cols);
export const logSoftmax = (engine: WebGpuEngine, x: Storage, rows: number, cols: number) => forward(engine, true, x, rows, cols);
export const softmaxBackward = (engine: WebGpuEngine, y: Storage, dy: Storage, rows: number, cols: number) => backward(engine, false, y, dy, rows, cols);
export const logSoftmaxBackward = (engine: WebGpuEngine, y: Storage, dy: Storage, rows: number, cols: number) => backward(engine, true, y, dy, rows, cols);
