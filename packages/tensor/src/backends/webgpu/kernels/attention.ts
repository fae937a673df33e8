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
 * (zeros change no dot product) and the results are cut back to headDim. `attentionOnPadded` and
 * `attentionBackwardOnPadded` take rows already padded and return padded results, for callers that
 * lay their operands out themselves (packed-attention.ts).
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

/** Runs `body` with padded copies of the named `inputs` (with their row counts), releasing the copies afterwards. */
function withPadded<T>(
  engine: WebGpuEngine,
  l: Layout,
  headDim: number,
  inputs: readonly (readonly [string, Storage, number])[],
  body: (padded: Storage[]) => T,
): T {
  const padded = inputs.map(([, s, rows]) => padRows(engine, s, rows, headDim, l));
  const result = body(padded);
  padded.forEach((s, i) => {
    if (s !== inputs[i]![1]) engine.release(s);
  });
  return result;
}

/** The mask, or a 1-element placeholder for the unused binding (released by the caller). */
function maskBinding(engine: WebGpuEngine, mask: Storage | undefined): { storage: Storage; placeholder: boolean } {
  return mask ? { storage: mask, placeholder: false } : { storage: engine.createStorage('f32', 1), placeholder: true };
}

/** Checks that each operand holds its rows of `width` columns. */
function expectRows(kernel: string, operands: readonly (readonly [string, Storage, number])[], width: number): void {
  for (const [name, s, rows] of operands) expectOperand(kernel, name, s, 'f32', rows * width);
}

export function attention(engine: WebGpuEngine, q: Storage, k: Storage, v: Storage, p: AttentionParams, mask?: Storage): { o: GpuStorage; lse: GpuStorage } {
  const l = layout(engine, 'attention', p, mask);
  const inputs = forwardRows(l, p, q, k, v);
  expectRows('attention', inputs, p.headDim);
  const { o, lse } = withPadded(engine, l, p.headDim, inputs, ([qp, kp, vp]) => forward(engine, l, p, qp!, kp!, vp!, mask));
  return { o: unpadRows(engine, o, l.heads * p.seqQ, p.headDim, l), lse };
}

/** `attention` on rows already padded to 4 * ceil(headDim / 4) columns (zeros beyond headDim); o comes back padded likewise. */
export function attentionOnPadded(
  engine: WebGpuEngine,
  q: Storage,
  k: Storage,
  v: Storage,
  p: AttentionParams,
  mask?: Storage,
): { o: GpuStorage; lse: GpuStorage } {
  const l = layout(engine, 'attention', p, mask);
  expectRows('attention', forwardRows(l, p, q, k, v), l.d4 * 4);
  return forward(engine, l, p, q, k, v, mask);
}

/** The forward's operands with their row counts. */
function forwardRows(l: Layout, p: AttentionParams, q: Storage, k: Storage, v: Storage) {
  return [
    ['q', q, l.heads * p.seqQ],
    ['k', k, l.heads * p.seqK],
    ['v', v, l.heads * p.seqK],
  ] as const;
}

function forward(
  engine: WebGpuEngine,
  l: Layout,
  p: AttentionParams,
  q: Storage,
  k: Storage,
  v: Storage,
  mask: Storage | undefined,
): { o: GpuStorage; lse: GpuStorage } {
  const { seqQ, seqK } = p;
  const lse = engine.createStorage('f32', l.heads * seqQ);
  const o = engine.createStorage('f32', l.heads * seqQ * l.d4 * 4);
  const m = maskBinding(engine, mask);
  const kind = attentionLayout(engine);
  const grid = rowGrid(engine, kind, 'forward', seqQ);
  engine.dispatch(kind === 'subgroup' ? kernels.subgroupForward : kernels.forward, {
    defines: { ...l.defines, ...grid.defines },
    workgroups: [grid.groups, l.heads],
    inputs: { q, k, v, mask: m.storage },
    outputs: { o, lse },
    uniforms: { seqQ, seqK, scale: p.scale },
  });
  if (m.placeholder) engine.release(m.storage);
  return { o, lse };
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
): Gradients {
  const l = layout(engine, 'attentionBackward', p, mask);
  const inputs = backwardRows(l, p, q, k, v, o, dO);
  expectRows('attentionBackward', inputs, p.headDim);
  expectOperand('attentionBackward', 'lse', lse, 'f32', l.heads * p.seqQ);
  const grads = withPadded(engine, l, p.headDim, inputs, ([qp, kp, vp, op, dOp]) =>
    backward(engine, l, p, { q: qp!, k: kp!, v: vp!, o: op!, dO: dOp! }, lse, mask),
  );
  return {
    dq: unpadRows(engine, grads.dq, l.heads * p.seqQ, p.headDim, l),
    dk: unpadRows(engine, grads.dk, l.heads * p.seqK, p.headDim, l),
    dv: unpadRows(engine, grads.dv, l.heads * p.seqK, p.headDim, l),
  };
}

/** `attentionBackward` on padded rows (see `attentionOnPadded`); the gradients come back padded. */
export function attentionBackwardOnPadded(
  engine: WebGpuEngine,
  q: Storage,
  k: Storage,
  v: Storage,
  o: Storage,
  lse: Storage,
  dO: Storage,
  p: AttentionParams,
  mask?: Storage,
): Gradients {
  const l = layout(engine, 'attentionBackward', p, mask);
  expectRows('attentionBackward', backwardRows(l, p, q, k, v, o, dO), l.d4 * 4);
  expectOperand('attentionBackward', 'lse', lse, 'f32', l.heads * p.seqQ);
  return backward(engine, l, p, { q, k, v, o, dO }, lse, mask);
}

/** The backward's row operands with their row counts. */
function backwardRows(l: Layout, p: AttentionParams, q: Storage, k: Storage, v: Storage, o: Storage, dO: Storage) {
  return [...forwardRows(l, p, q, k, v), ['o', o, l.heads * p.seqQ], ['dO', dO, l.heads * p.seqQ]] as const;
}

type Rows = Record<'q' | 'k' | 'v' | 'o' | 'dO', Storage>;

function backward(engine: WebGpuEngine, l: Layout, p: AttentionParams, { q, k, v, o, dO }: Rows, lse: Storage, mask: Storage | undefined): Gradients {
  const qRows = l.heads * p.seqQ;
  const stats = engine.createStorage('f32', 2 * qRows);
  engine.dispatch(kernels.stats, {
    defines: { HEAD_DIM4: l.d4, ROWS: STATS_WORKGROUP },
    workgroups: engine.grid(qRows, STATS_WORKGROUP),
    inputs: { dO, o, lse },
    outputs: { stats },
    uniforms: { rows: qRows },
  });
  const m = maskBinding(engine, mask);
  const pass: GradientPass = { engine, l, p, inputs: { q, k, v, mask: m.storage, dO, stats }, width: l.d4 * 4 };
  const kind = attentionLayout(engine);
  const grads = kind === 'subgroup' ? subgroupGradients(pass) : tiledGradients(pass, kind);
  engine.release(stats);
  if (m.placeholder) engine.release(m.storage);
  return grads;
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
