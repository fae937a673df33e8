/** SwiGLU on a fused gate/up projection [rows, 2 * inter], forward and backward (shaders/swiglu.wgsl). */
import type { Storage } from '../../../backend.js';
import source from '../../../../../../shaders/swiglu.wgsl';
import { packUniforms, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { expectCounts, expectOperand } from './nn-common.js';

const WORKGROUP_SIZE = 64;

export function swiglu(engine: WebGpuEngine, gateUp: Storage, rows: number, inter: number): GpuStorage {
  expectCounts('swiglu', { rows, inter });
  expectOperand('swiglu', 'gateUp', gateUp, 'f32', rows * 2 * inter);
  const out = engine.createStorage('f32', rows * inter);
  engine.dispatch({
    name: 'swiglu',
    source,
    defines: { BACKWARD: false, WORKGROUP_SIZE },
    workgroups: engine.grid(rows * inter, WORKGROUP_SIZE),
    inputs: [gateUp],
    outputs: [out],
    uniforms: packUniforms([rows * inter, inter]),
  });
  return out;
}

export function swigluBackward(engine: WebGpuEngine, gateUp: Storage, dOut: Storage, rows: number, inter: number): GpuStorage {
  expectCounts('swigluBackward', { rows, inter });
  expectOperand('swigluBackward', 'gateUp', gateUp, 'f32', rows * 2 * inter);
  expectOperand('swigluBackward', 'dOut', dOut, 'f32', rows * inter);
  const dGateUp = engine.createStorage('f32', rows * 2 * inter);
  engine.dispatch({
    name: 'swiglu_backward',
    source,
    defines: { BACKWARD: true, WORKGROUP_SIZE },
    workgroups: engine.grid(rows * inter, WORKGROUP_SIZE),
    inputs: [gateUp, dOut],
    outputs: [dGateUp],
    uniforms: packUniforms([rows * inter, inter]),
  });
  return dGateUp;
}
