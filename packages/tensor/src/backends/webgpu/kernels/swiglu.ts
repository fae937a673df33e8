/** SwiGLU on a fused gate/up projection [rows, 2 * inter], forward and backward (shaders/swiglu.wgsl). */
import type { Storage } from '../../../backend.js';
import body from '../../../../../../shaders/swiglu.wgsl';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';
import { expectCounts, expectOperand } from './nn-common.js';

const WORKGROUP_SIZE = 64;
const shared = { body, workgroupSize: () => [WORKGROUP_SIZE] as const, variants: { default: {} }, uniforms: { count: 'u32', inter: 'u32' } } as const;
const forwardKernel = defineKernel({ ...shared, name: 'swiglu', defines: { BACKWARD: false }, inputs: { gateUp: 'f32' }, outputs: { out: 'f32' } });
const backwardKernel = defineKernel({
  ...shared,
  name: 'swiglu_backward',
  defines: { BACKWARD: true },
  inputs: { gateUp: 'f32', dOut: 'f32' },
  outputs: { dGateUp: 'f32' },
});

export function swiglu(engine: WebGpuEngine, gateUp: Storage, rows: number, inter: number): GpuStorage {
  expectCounts('swiglu', { rows, inter });
  expectOperand('swiglu', 'gateUp', gateUp, 'f32', rows * 2 * inter);
  const out = engine.createStorage('f32', rows * inter);
  engine.dispatch(forwardKernel, {
    workgroups: engine.grid(rows * inter, WORKGROUP_SIZE),
    inputs: { gateUp },
    outputs: { out },
    uniforms: { count: rows * inter, inter },
  });
  return out;
}

export function swigluBackward(engine: WebGpuEngine, gateUp: Storage, dOut: Storage, rows: number, inter: number): GpuStorage {
  expectCounts('swigluBackward', { rows, inter });
  expectOperand('swigluBackward', 'gateUp', gateUp, 'f32', rows * 2 * inter);
  expectOperand('swigluBackward', 'dOut', dOut, 'f32', rows * inter);
  const dGateUp = engine.createStorage('f32', rows * 2 * inter);
  engine.dispatch(backwardKernel, {
    workgroups: engine.grid(rows * inter, WORKGROUP_SIZE),
    inputs: { gateUp, dOut },
    outputs: { dGateUp },
    uniforms: { count: rows * inter, inter },
  });
  return dGateUp;
}
