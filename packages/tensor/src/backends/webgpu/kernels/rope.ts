/** Rotate-half RoPE on [batch, heads, seq, dim] with [seq, dim] tables (shaders/rope.wgsl). */
import type { Storage } from '../../../backend.js';
import rotate from '../../../../../../shaders/rope-rotate.wgsl';
import body from '../../../../../../shaders/rope.wgsl';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';
import { resolveIncludes } from '../preprocess.js';
import { expectCounts, expectOperand } from './nn-common.js';

/** The RoPE formula and its adjoint, shared with the packed attention's head split and merge. */
export const ROPE_LIBRARY = { 'rope-rotate.wgsl': rotate };

const WORKGROUP_SIZE = 64;
const kernel = defineKernel({
  name: 'rope',
  body: resolveIncludes(body, ROPE_LIBRARY),
  inputs: { x: 'f32', cosTable: 'f32', sinTable: 'f32' },
  outputs: { y: 'f32' },
  uniforms: { pairs: 'u32', seq: 'u32', dim: 'u32', sign: 'f32' },
  workgroupSize: () => [WORKGROUP_SIZE],
  variants: { default: {} },
});

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
  engine.dispatch(kernel, {
    workgroups: engine.grid(pairs, WORKGROUP_SIZE),
    inputs: { x, cosTable: cos, sinTable: sin },
    outputs: { y },
    uniforms: { pairs, seq, dim, sign: inverse ? -1 : 1 },
  });
  return y;
}
