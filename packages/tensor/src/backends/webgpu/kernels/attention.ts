/**
 * Fused scaled dot-product attention, forward and backward, on [batch, heads, seq, headDim]
 * tensors with an optional additive [seqQ, seqK] mask, in one of three layouts:
 * - `single` (real GPUs): FlashAttention with key/value (or query) tiles staged in workgroup
 *   memory, one row per thread (shaders/attention.wgsl, attention-backward.wgsl).
 * - `blocked`: the same shaders with several rows per thread (register blocking), for
 *   CPU-emulated adapters without subgroups.
 * - `subgroup` (CPU-emulated adapters with subgroups of a fixed size): each lane owns rows and
 *   the other side's rows arrive by subgroup shuffles instead of memory loads, and the backward
 *   keeps dS from its key pass so that dQ needs no second recomputation of the scores
 *   (shaders/attention-subgroup.wgsl, attention-subgroup-backward.wgsl). On lavapipe every load
 *   costs about as much whether its address is uniform or not, and a shuffle is a register
 *   permutation: this layout takes about 3x less CPU time than `blocked` for forward + backward
 *   at HRM's shape.
 *
 * The shaders read rows as vec4: a headDim that is not a multiple of 4 is zero-padded here first
 * (zeros change no dot product) and the results are cut back to headDim.
 */
import type { AttentionParams, Storage } from '../../../backend.js';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import type { KernelVariants } from '../variants.js';
import { attentionKernels as kernels } from './attention-kernels.js';
import { isCpuEmulated } from './autotune.js';
import { fill } from './elementwise.js';
import { copyRegion, stridedCopy } from './movement.js';
import { expectCounts, expectOperand } from './nn-common.js';

/** Rows (one thread each) per workgroup: few choices, so that few pipelines are compiled. */
const ROW_CHOICES = [16, 32, 48, 64];
/** Most rows staged per tile in workgroup memory. */
const MAX_TILE = 32;
const STATS_WORKGROUP = 64;

/** Threads per workgroup for `seq` rows: the choice leaving the fewest idle threads, the larger on ties. */
function rowsPerGroup(seq: number): number {
  let best = ROW_CHOICES[0]!;
  for (const rows of ROW_CHOICES) if (Math.ceil(seq / rows) * rows <= Math.ceil(seq / best) * best) best = rows;
  return best;
}

export type AttentionLayout = KernelVariants['attention'];

/** Rows per thread in each kernel (`q`: the query pass, dQ), measured on lavapipe at HRM's shape. */
const ROWS_PER_THREAD: Record<AttentionLayout, { forward: number; kv: number; q: number }> = {
  single: { forward: 1, kv: 1, q: 1 },
  blocked: { forward: 3, kv: 2, q: 3 },
  subgroup: { forward: 2, kv: 2, q: 2 },
};

/** The adapter's subgroup size when the device has subgroups of one size, a multiple of 4 (dS is read as vec4s), else undefined. */
function fixedSubgroupSize(engine: WebGpuEngine): number | undefined {
  if (!engine.features.has('subgroups')) return undefined;
  const info = engine.device.adapterInfo;
  const size = info?.subgroupMinSize;
  return size !== undefined && size === info.subgroupMaxSize && size % 4 === 0 && size <= engine.limits.maxComputeInvocationsPerWorkgroup ? size : undefined;
}

/** The layouts this engine can run. */
export function availableAttentionLayouts(engine: WebGpuEngine): AttentionLayout[] {
  return fixedSubgroupSize(engine) === undefined ? ['single', 'blocked'] : ['single', 'blocked', 'subgroup'];
}

/**
 * The engine's `variants.attention` if set; else `single` on real GPUs and, on CPU-emulated
 * adapters, `subgroup` where possible, else `blocked`.
 */
export function attentionLayout(engine: WebGpuEngine): AttentionLayout {
  const forced = engine.variant('attention');
  if (forced === 'subgroup' && fixedSubgroupSize(engine) === undefined) {
    throw new Error(`attention layout 'subgroup': ${engine.description} has no fixed-size subgroups`);
  }
  if (forced) return forced;
  if (!isCpuEmulated(engine)) return 'single';
  return fixedSubgroupSize(engine) === undefined ? 'blocked' : 'subgroup';
}

/** Defines and workgroup count along the rows for `seq` rows of one kernel (`pass`) in `layout`. */
function rowGrid(
  engine: WebGpuEngine,
  layout: AttentionLayout,
  pass: 'forward' | 'kv' | 'q',
  seq: number,
): { defines: Record<string, number>; groups: number } {
  const rb = ROWS_PER_THREAD[layout][pass];
  if (layout === 'subgroup') {
    const sg = fixedSubgroupSize(engine)!;
    return { defines: { SG: sg, RB: rb }, groups: Math.ceil(seq / (sg * rb)) };
  }
  const rows = rowsPerGroup(Math.ceil(seq / rb));
  return { defines: { ROWS: rows, RB: rb }, groups: Math.ceil(seq / (rows * rb)) };
}

/** Rows per staged tile: two [tile, headDim] tiles (plus a little) must fit in workgroup memory. */
function tileRows(engine: WebGpuEngine, d4: number): number {
  const bytesPerRow = 2 * d4 * 16 + 8;
  return Math.max(1, Math.min(MAX_TILE, Math.floor(engine.limits.maxComputeWorkgroupStorageSize / bytesPerRow)));
}

interface Layout {
  heads: number;
  d4: number;
  padded: boolean;
  defines: { HEAD_DIM4: number; TILE: number; HAS_MASK: boolean };
}

function layout(engine: WebGpuEngine, kernel: string, p: AttentionParams, mask: Storage | undefined): Layout {
  const { batch, heads, seqQ, seqK, headDim } = p;
  expectCounts(kernel, { batch, heads, seqQ, seqK, headDim });
  const bh = batch * heads;
  if (bh > engine.limits.maxComputeWorkgroupsPerDimension) {
    throw new Error(`webgpu ${kernel}: batch * heads = ${bh} exceeds ${engine.limits.maxComputeWorkgroupsPerDimension}`);
  }
  if (mask) expectOperand(kernel, 'mask', mask, 'f32', seqQ * seqK);
  const d4 = Math.ceil(headDim / 4);
  return { heads: bh, d4, padded: d4 * 4 !== headDim, defines: { HEAD_DIM4: d4, TILE: tileRows(engine, d4), HAS_MASK: mask !== undefined } };
}

/** x [rows, headDim] widened to [rows, 4 * d4] with zero columns (x itself when no padding is needed). */
function padRows(engine: WebGpuEngine, x: Storage, rows: number, headDim: number, l: Layout): Storage {
  if (!l.padded) return x;
  const out = fill(engine, 'f32', rows * l.d4 * 4, 0);
  copyRegion(engine, x, out, rows, headDim, l.d4 * 4, 0);
  return out;
}

/** The first headDim columns of a padded [rows, 4 * d4] result (releasing it). */
function unpadRows(engine: WebGpuEngine, x: GpuStorage, rows: number, headDim: number, l: Layout): GpuStorage {
  if (!l.padded) return x;
  const out = stridedCopy(engine, x, { shape: [rows, headDim], strides: [l.d4 * 4, 1], offset: 0 });
  engine.release(x);
  return out;
}

/** Runs `body` with padded copies of `inputs`, releasing the copies afterwards. */
function withPadded<T>(engine: WebGpuEngine, l: Layout, headDim: number, inputs: readonly [Storage, number][], body: (padded: Storage[]) => T): T {
  const padded = inputs.map(([s, rows]) => padRows(engine, s, rows, headDim, l));
  const result = body(padded);
  padded.forEach((s, i) => {
    if (s !== inputs[i]![0]) engine.release(s);
  });
  return result;
}

/** The mask, or a 1-element placeholder for the unused binding (released by the caller). */
function maskBinding(engine: WebGpuEngine, mask: Storage | undefined): { storage: Storage; placeholder: boolean } {
  return mask ? { storage: mask, placeholder: false } : { storage: engine.createStorage('f32', 1), placeholder: true };
}

export function attention(engine: WebGpuEngine, q: Storage, k: Storage, v: Storage, p: AttentionParams, mask?: Storage): { o: GpuStorage; lse: GpuStorage } {
  const l = layout(engine, 'attention', p, mask);
  const { seqQ, seqK, headDim } = p;
  expectOperand('attention', 'q', q, 'f32', l.heads * seqQ * headDim);
  expectOperand('attention', 'k', k, 'f32', l.heads * seqK * headDim);
  expectOperand('attention', 'v', v, 'f32', l.heads * seqK * headDim);
  const lse = engine.createStorage('f32', l.heads * seqQ);
  const o = withPadded(
    engine,
    l,
    headDim,
    [
      [q, l.heads * seqQ],
      [k, l.heads * seqK],
      [v, l.heads * seqK],
    ],
    ([qp, kp, vp]) => {
      const out = engine.createStorage('f32', l.heads * seqQ * l.d4 * 4);
      const m = maskBinding(engine, mask);
      const kind = attentionLayout(engine);
      const grid = rowGrid(engine, kind, 'forward', seqQ);
      engine.dispatch(kind === 'subgroup' ? kernels.subgroupForward : kernels.forward, {
        defines: { ...l.defines, ...grid.defines },
        workgroups: [grid.groups, l.heads],
        inputs: { q: qp!, k: kp!, v: vp!, mask: m.storage },
        outputs: { o: out, lse },
        uniforms: { seqQ, seqK, scale: p.scale },
      });
      if (m.placeholder) engine.release(m.storage);
      return out;
    },
  );
  return { o: unpadRows(engine, o, l.heads * seqQ, headDim, l), lse };
}

export function attentionBackward(
  engine: WebGpuEngine,
  q: Storage,
  k: Storage,
  v: Storage,
  o: Storage,
  lse: Storage,
  dO: Storage,
  p: AttentionParams,
  mask?: Storage,
): { dq: GpuStorage; dk: GpuStorage; dv: GpuStorage } {
  const kernel = 'attentionBackward';
  const l = layout(engine, kernel, p, mask);
  const { seqQ, seqK, headDim } = p;
  const qRows = l.heads * seqQ;
  const kRows = l.heads * seqK;
  for (const [name, s, rows] of [
    ['q', q, qRows],
    ['k', k, kRows],
    ['v', v, kRows],
    ['o', o, qRows],
    ['dO', dO, qRows],
  ] as const) {
    expectOperand(kernel, name, s, 'f32', rows * headDim);
  }
  expectOperand(kernel, 'lse', lse, 'f32', qRows);
  const width = l.d4 * 4;
  const grads = withPadded(
    engine,
    l,
    headDim,
    [
      [q, qRows],
      [k, kRows],
      [v, kRows],
      [o, qRows],
      [dO, qRows],
    ],
    ([qp, kp, vp, op, dOp]) => {
      const stats = engine.createStorage('f32', 2 * qRows);
      engine.dispatch(kernels.stats, {
        defines: { HEAD_DIM4: l.d4, ROWS: STATS_WORKGROUP },
        workgroups: engine.grid(qRows, STATS_WORKGROUP),
        inputs: { dO: dOp!, o: op!, lse },
        outputs: { stats },
        uniforms: { rows: qRows },
      });
      const m = maskBinding(engine, mask);
      const pass: GradientPass = { engine, l, p, inputs: { q: qp!, k: kp!, v: vp!, mask: m.storage, dO: dOp!, stats }, width };
      const grads = attentionLayout(engine) === 'subgroup' ? subgroupGradients(pass) : tiledGradients(pass, attentionLayout(engine));
      engine.release(stats);
      if (m.placeholder) engine.release(m.storage);
      return grads;
    },
  );
  return {
    dq: unpadRows(engine, grads.dq, qRows, headDim, l),
    dk: unpadRows(engine, grads.dk, kRows, headDim, l),
    dv: unpadRows(engine, grads.dv, kRows, headDim, l),
  };
}

/** What the gradient passes share: the padded q, k, v, the mask binding, dO and the stats pass's output. */
interface GradientPass {
  engine: WebGpuEngine;
  l: Layout;
  p: AttentionParams;
  inputs: { q: Storage; k: Storage; v: Storage; mask: Storage; dO: Storage; stats: Storage };
  /** Padded row width. */
  width: number;
}

type Gradients = { dq: GpuStorage; dk: GpuStorage; dv: GpuStorage };

/** Defines and workgroups of one backward pass over the `seq` rows of every head. */
function backwardGrid({ engine, l }: GradientPass, kind: AttentionLayout, rows: 'kv' | 'q', seq: number) {
  const grid = rowGrid(engine, kind, rows, seq);
  return { defines: { ...l.defines, ...grid.defines }, workgroups: [grid.groups, l.heads] };
}

/** dK, dV from a pass over keys and dQ from a pass over queries, each recomputing the probabilities. */
function tiledGradients(g: GradientPass, kind: AttentionLayout): Gradients {
  const { engine, l, p, inputs, width } = g;
  const uniforms = { seqQ: p.seqQ, seqK: p.seqK, scale: p.scale };
  const dk = engine.createStorage('f32', l.heads * p.seqK * width);
  const dv = engine.createStorage('f32', l.heads * p.seqK * width);
  engine.dispatch(kernels.backwardKv, { ...backwardGrid(g, kind, 'kv', p.seqK), inputs, outputs: { dk, dv }, uniforms });
  const dq = engine.createStorage('f32', l.heads * p.seqQ * width);
  engine.dispatch(kernels.backwardQ, { ...backwardGrid(g, kind, 'q', p.seqQ), inputs, outputs: { dq }, uniforms });
  return { dq, dk, dv };
}

/** dK, dV and dS from one pass over keys, then dQ = dS K without recomputing the probabilities. */
function subgroupGradients(g: GradientPass): Gradients {
  const { engine, l, p, inputs, width } = g;
  const sg = fixedSubgroupSize(engine)!;
  const dsStride = Math.ceil(p.seqK / sg) * sg;
  const uniforms = { seqQ: p.seqQ, seqK: p.seqK, scale: p.scale, dsStride };
  const dk = engine.createStorage('f32', l.heads * p.seqK * width);
  const dv = engine.createStorage('f32', l.heads * p.seqK * width);
  const ds = engine.createStorage('f32', l.heads * p.seqQ * dsStride);
  engine.dispatch(kernels.subgroupBackwardKv, { ...backwardGrid(g, 'subgroup', 'kv', p.seqK), inputs, outputs: { dk, dv, ds }, uniforms });
  const dq = engine.createStorage('f32', l.heads * p.seqQ * width);
  engine.dispatch(kernels.subgroupBackwardDq, { ...backwardGrid(g, 'subgroup', 'q', p.seqQ), inputs: { k: inputs.k, ds }, outputs: { dq }, uniforms });
  engine.release(ds);
  return { dq, dk, dv };
}
