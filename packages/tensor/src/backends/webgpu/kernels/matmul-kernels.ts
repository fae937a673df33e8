/**
 * The matmul kernels' descriptions: the three variants share their operands (A, B, C, bound as
 * scalars or, under VEC4, as vec4s) and their Params; `staged` adds the k slice it works on.
 */
import blockedTiledBody from '../../../../../../shaders/matmul.wgsl';
import stagedBody from '../../../../../../shaders/matmul-staged.wgsl';
import { defineKernel } from '../kernel-spec.js';

const operands = {
  inputs: { a: '${E}', b: '${E}' },
  outputs: { c: '${E}' },
} as const;

const params = { m: 'u32', n: 'u32', k: 'u32', aBatchStride: 'u32', bBatchStride: 'u32', batchBase: 'u32' } as const;

/** VEC4 and the element type it binds. */
export function elementDefines(vec4: boolean): { VEC4: boolean; E: string } {
  return { VEC4: vec4, E: vec4 ? 'vec4<f32>' : 'f32' };
}

/** Output elements per workgroup along each axis, and threads per workgroup along each axis. */
export const BLOCKED_TILE = 32;
export const TILED_TILE = 64;

export const blockedKernel = defineKernel({
  name: 'matmul_blocked',
  body: blockedTiledBody,
  entryPoint: 'blocked',
  ...operands,
  uniforms: params,
  // A 4x4 block of C per thread.
  workgroupSize: () => [BLOCKED_TILE / 4, BLOCKED_TILE / 4],
  variants: { scalar: elementDefines(false), vec4: elementDefines(true) },
});

export const tiledKernel = defineKernel({
  name: 'matmul_tiled',
  body: blockedTiledBody,
  entryPoint: 'tiled',
  ...operands,
  uniforms: params,
  workgroupSize: () => [TILED_TILE / 4, TILED_TILE / 4],
  variants: { scalar: elementDefines(false) },
});

export const stagedKernel = defineKernel({
  name: 'matmul_staged',
  body: stagedBody,
  entryPoint: 'staged',
  ...operands,
  uniforms: { ...params, k0: 'u32', depth4: 'u32' },
  workgroupSize: (d) => [Number(d.LANES)],
  variants: {
    scalar: { ...elementDefines(false), LANES: 256, COLS: 64, DEPTH: 8, PRODUCTS: '' },
    vec4: { ...elementDefines(true), LANES: 256, COLS: 64, DEPTH: 8, PRODUCTS: '' },
    narrow: { ...elementDefines(true), LANES: 256, COLS: 32, DEPTH: 8, PRODUCTS: '' },
  },
});
