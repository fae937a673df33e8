/** Rotate-half RoPE on [batch, heads, seq, dim] with [seq, dim] tables (shaders/rope.wgsl). */
import type { Storage } from '../../../backend.js';
import source from '../../../../../../shaders/rope.wgsl';
import { packUniforms, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { expectCounts, expectOperand } from './nn-common.js';

const WORKGROUP_SIZE = 64;

export function rope(
  engine: WebGpuEngine,
  x: Storage,
  cos: Storage,
  sin: Storage,
  batch: number,
  heads: number,
  seq: number,
  dim: number,
  inverse: boolean,
): GpuStorage {
  expectCounts('rope', { batch, heads, seq, dim });
  if (dim % 2 !== 0) throw new Error(`webgpu rope: expected an even dim, found ${dim}`);
  const size = batch * heads * seq * dim;
  expectOperand('rope', 'x', x, 'f32', size);
  expectOperand('rope', 'cos', cos, 'f32', seq * dim);
  expectOperand('rope', 'sin', sin, 'f32', seq * dim);
  const y = engine.createStorage('f32', size);
  const pairs = size / 2;
  engine.dispatch({
    name: 'rope',
    source,
    defines: { WORKGROUP_SIZE },
    workgroups: engine.grid(pairs, WORKGROUP_SIZE),
    inputs: [x, cos, sin],
    outputs: [y],
    uniforms: packUniforms([pairs, seq, dim, { f32: inverse ? -1 : 1 }]),
  });
  return y;
}
