/**
 * Moving heads between the token-major layout of a fused projection, [batch, seq, groups, heads,
 * headDim], and the padded head-major rows [batch * heads, seq, 4 * ceil(headDim / 4)] that the
 * fused attention kernels read (shaders/split-heads.wgsl, merge-heads.wgsl). Splitting q, k and v
 * applies RoPE to q and k, merging their gradients RoPE's adjoint (the formulas of rope.ts). Each
 * direction is one dispatch for all three groups.
 */
import type { PackedAttentionParams, RopeTables, Storage } from '../../../backend.js';
import mergeBody from '../../../../../../shaders/merge-heads.wgsl';
import splitBody from '../../../../../../shaders/split-heads.wgsl';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';
import { resolveIncludes } from '../preprocess.js';
import { expectCounts, expectOperand } from './nn-common.js';
import { ROPE_LIBRARY } from './rope.js';

type HeadShape = Pick<PackedAttentionParams, 'batch' | 'seq' | 'heads' | 'headDim'>;

const WORKGROUP_SIZE = 256;
const ROW = 'vec4<f32>';
const TABLES = { cosTable: 'f32', sinTable: 'f32' } as const;
const common = { workgroupSize: () => [WORKGROUP_SIZE] as const, uniforms: { count: 'u32', seq: 'u32', heads: 'u32', headDim: 'u32', d4: 'u32' } } as const;
const split = { ...common, body: resolveIncludes(splitBody, ROPE_LIBRARY), uniforms: { ...common.uniforms, rows: 'u32' } } as const;
const merge = { ...common, body: resolveIncludes(mergeBody, ROPE_LIBRARY) } as const;
const withAndWithoutRope = { plain: { ROPE: false }, rope: { ROPE: true } };
const one = { defines: { GROUPS: 1, ROPE: false }, variants: { default: {} } };
const three = { defines: { GROUPS: 3 }, variants: withAndWithoutRope };

const kernels = {
  splitQkv: defineKernel({
    ...split,
    ...three,
    name: 'split_heads_qkv',
    inputs: { tokens: 'f32', ...TABLES },
    outputs: { heads0: ROW, heads1: ROW, heads2: ROW },
  }),
  split: defineKernel({ ...split, ...one, name: 'split_heads', inputs: { tokens: 'f32' }, outputs: { heads0: ROW } }),
  mergeQkv: defineKernel({
    ...merge,
    ...three,
    name: 'merge_heads_qkv',
    inputs: { heads0: 'f32', heads1: 'f32', heads2: 'f32', ...TABLES },
    outputs: { tokens: 'f32' },
  }),
  merge: defineKernel({ ...merge, ...one, name: 'merge_heads', inputs: { heads0: 'f32' }, outputs: { tokens: 'f32' } }),
};

/** Elements of one group's padded head-major rows. */
const headRowsSize = (p: HeadShape): number => p.batch * p.heads * p.seq * 4 * Math.ceil(p.headDim / 4);
/** Elements of one group in the token-major layout. */
const tokensSize = (p: HeadShape): number => p.batch * p.seq * p.heads * p.headDim;

function uniforms(p: HeadShape, count: number) {
  return { count, seq: p.seq, heads: p.heads, headDim: p.headDim, d4: Math.ceil(p.headDim / 4) };
}

/** Checks the shape, each operand's element count and the RoPE tables if any. */
function expectShape(kernel: string, p: HeadShape, operands: Readonly<Record<string, [Storage, number]>>, rope?: RopeTables): void {
  const { batch, seq, heads, headDim } = p;
  expectCounts(kernel, { batch, seq, heads, headDim });
  for (const [name, [s, size]] of Object.entries(operands)) expectOperand(kernel, name, s, 'f32', size);
  if (!rope) return;
  if (headDim % 2 !== 0) throw new Error(`webgpu ${kernel}: RoPE needs an even headDim, found ${headDim}`);
  expectOperand(kernel, 'cos', rope.cos, 'f32', seq * headDim);
  expectOperand(kernel, 'sin', rope.sin, 'f32', seq * headDim);
}

/** The table bindings and the define selecting them; without RoPE the unused bindings get any read-only operand. */
function tableBindings(rope: RopeTables | undefined, unused: Storage) {
  return { defines: { ROPE: rope !== undefined }, tables: { cosTable: rope?.cos ?? unused, sinTable: rope?.sin ?? unused } };
}

/** Dispatch arguments of a split of `groups` groups (one thread per output vec4). */
function splitGrid(engine: WebGpuEngine, p: HeadShape, groups: number) {
  const rows = p.batch * p.heads * p.seq;
  const count = groups * rows * Math.ceil(p.headDim / 4);
  return { workgroups: engine.grid(count, WORKGROUP_SIZE), uniforms: { ...uniforms(p, count), rows } };
}

/** Dispatch arguments of a merge of `groups` groups (one thread per output element). */
function mergeGrid(engine: WebGpuEngine, p: HeadShape, groups: number) {
  const count = groups * tokensSize(p);
  return { workgroups: engine.grid(count, WORKGROUP_SIZE), uniforms: uniforms(p, count) };
}

/** q, k and v of qkv [batch, seq, 3 * heads * headDim] as padded head-major rows, q and k rotated by `rope` when given. */
export function splitQkv(engine: WebGpuEngine, qkv: Storage, p: HeadShape, rope?: RopeTables): [GpuStorage, GpuStorage, GpuStorage] {
  expectShape('splitQkv', p, { qkv: [qkv, 3 * tokensSize(p)] }, rope);
  const [q, k, v] = [0, 1, 2].map(() => engine.createStorage('f32', headRowsSize(p))) as [GpuStorage, GpuStorage, GpuStorage];
  const { defines, tables } = tableBindings(rope, qkv);
  engine.dispatch(kernels.splitQkv, { ...splitGrid(engine, p, 3), defines, inputs: { tokens: qkv, ...tables }, outputs: { heads0: q, heads1: k, heads2: v } });
  return [q, k, v];
}

/** x [batch, seq, heads * headDim] as padded head-major rows. */
export function splitHeads(engine: WebGpuEngine, x: Storage, p: HeadShape): GpuStorage {
  expectShape('splitHeads', p, { x: [x, tokensSize(p)] });
  const heads = engine.createStorage('f32', headRowsSize(p));
  engine.dispatch(kernels.split, { ...splitGrid(engine, p, 1), inputs: { tokens: x }, outputs: { heads0: heads } });
  return heads;
}

/** Padded head-major rows back to [batch, seq, heads * headDim] (the inverse of splitHeads). */
export function mergeHeads(engine: WebGpuEngine, heads: Storage, p: HeadShape): GpuStorage {
  expectShape('mergeHeads', p, { heads: [heads, headRowsSize(p)] });
  const x = engine.createStorage('f32', tokensSize(p));
  engine.dispatch(kernels.merge, { ...mergeGrid(engine, p, 1), inputs: { heads0: heads }, outputs: { tokens: x } });
  return x;
}

/**
 * The gradients of q, k and v (padded head-major rows) as d qkv [batch, seq, 3 * heads * headDim],
 * those of q and k through RoPE's adjoint when `rope` is given (the transpose of splitQkv).
 */
export function mergeQkv(engine: WebGpuEngine, [dq, dk, dv]: readonly [Storage, Storage, Storage], p: HeadShape, rope?: RopeTables): GpuStorage {
  const size = headRowsSize(p);
  expectShape('mergeQkv', p, { dq: [dq, size], dk: [dk, size], dv: [dv, size] }, rope);
  const dqkv = engine.createStorage('f32', 3 * tokensSize(p));
  const { defines, tables } = tableBindings(rope, dq);
  engine.dispatch(kernels.mergeQkv, {
    ...mergeGrid(engine, p, 3),
    defines,
    inputs: { heads0: dq, heads1: dk, heads2: dv, ...tables },
    outputs: { tokens: dqkv },
  });
  return dqkv;
}
