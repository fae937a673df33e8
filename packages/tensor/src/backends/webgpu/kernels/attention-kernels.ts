/**
 * The fused attention kernels' descriptions. Every kernel reads rows as vec4 (HEAD_DIM4 per row);
 * the forward kernels share their operands, the key/value and query passes of the backward theirs.
 * Shared WGSL: attention-common.wgsl (constants, masking, probabilities) and attention-tiles.wgsl
 * (staging key/value tiles in workgroup memory).
 */
import common from '../../../../../../shaders/attention-common.wgsl';
import backwardBody from '../../../../../../shaders/attention-backward.wgsl';
import subgroupBackwardBody from '../../../../../../shaders/attention-subgroup-backward.wgsl';
import subgroupForwardBody from '../../../../../../shaders/attention-subgroup.wgsl';
import tiles from '../../../../../../shaders/attention-tiles.wgsl';
import forwardBody from '../../../../../../shaders/attention.wgsl';
import { defineKernel } from '../kernel-spec.js';
import { resolveIncludes, type Defines } from '../preprocess.js';

const LIBRARY = { 'attention-common.wgsl': common, 'attention-tiles.wgsl': tiles };
const ROW = 'vec4<f32>';

const forwardOperands = {
  inputs: { q: ROW, k: ROW, v: ROW, mask: 'f32' },
  // lse is written as bits (see attention.wgsl).
  outputs: { o: ROW, lse: 'u32' },
  uniforms: { seqQ: 'u32', seqK: 'u32', scale: 'f32' },
} as const;

/** The backward passes' inputs after the stats pass: stats holds (lse, dO . O) per query row. */
const backwardInputs = { q: ROW, k: ROW, v: ROW, mask: 'f32', dO: ROW, stats: 'vec2<f32>' } as const;

/** Representative builds: with and without a mask, several rows per thread, a padded head. */
function shapes(extra: Defines): Record<string, Defines> {
  return {
    masked: { HEAD_DIM4: 8, RB: 2, TILE: 32, HAS_MASK: true, ...extra },
    unmasked: { HEAD_DIM4: 3, RB: 1, TILE: 16, HAS_MASK: false, ...extra },
  };
}

const rows = (d: Defines) => [Number(d.ROWS)] as const;
const subgroup = (d: Defines) => [Number(d.SG)] as const;

export const attentionKernels = {
  forward: defineKernel({
    name: 'attention_forward',
    body: resolveIncludes(forwardBody, LIBRARY),
    ...forwardOperands,
    workgroupSize: rows,
    variants: shapes({ ROWS: 32 }),
  }),
  subgroupForward: defineKernel({
    name: 'attention_forward_subgroup',
    body: resolveIncludes(subgroupForwardBody, LIBRARY),
    ...forwardOperands,
    workgroupSize: subgroup,
    variants: shapes({ SG: 8 }),
  }),
  stats: defineKernel({
    name: 'attention_backward_stats',
    body: resolveIncludes(backwardBody, LIBRARY),
    defines: { PASS: 'stats' },
    inputs: { dO: ROW, o: ROW, lse: 'f32' },
    outputs: { stats: 'vec2<f32>' },
    uniforms: { rows: 'u32' },
    workgroupSize: rows,
    variants: { default: { HEAD_DIM4: 8, ROWS: 64 } },
  }),
  backwardKv: defineKernel({
    name: 'attention_backward_kv',
    body: resolveIncludes(backwardBody, LIBRARY),
    defines: { PASS: 'kv' },
    inputs: backwardInputs,
    outputs: { dk: ROW, dv: ROW },
    uniforms: forwardOperands.uniforms,
    workgroupSize: rows,
    variants: shapes({ ROWS: 32 }),
  }),
  backwardQ: defineKernel({
    name: 'attention_backward_q',
    body: resolveIncludes(backwardBody, LIBRARY),
    defines: { PASS: 'q' },
    inputs: backwardInputs,
    outputs: { dq: ROW },
    uniforms: forwardOperands.uniforms,
    workgroupSize: rows,
    variants: shapes({ ROWS: 32 }),
  }),
  subgroupBackwardKv: defineKernel({
    name: 'attention_backward_kv_subgroup',
    body: resolveIncludes(subgroupBackwardBody, LIBRARY),
    defines: { PASS: 'kv' },
    inputs: backwardInputs,
    // dS per (query, key), rows of dsStride.
    outputs: { dk: ROW, dv: ROW, ds: 'f32' },
    uniforms: { ...forwardOperands.uniforms, dsStride: 'u32' },
    workgroupSize: subgroup,
    variants: shapes({ SG: 8 }),
  }),
  subgroupBackwardDq: defineKernel({
    name: 'attention_backward_dq_subgroup',
    body: resolveIncludes(subgroupBackwardBody, LIBRARY),
    defines: { PASS: 'dq' },
    inputs: { k: ROW, ds: ROW },
    outputs: { dq: ROW },
    uniforms: { ...forwardOperands.uniforms, dsStride: 'u32' },
    workgroupSize: subgroup,
    variants: shapes({ SG: 8 }),
  }),
};
