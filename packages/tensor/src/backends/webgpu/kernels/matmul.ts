/**
 * Batched matmul with transposed operands and broadcast batch strides (shaders/matmul.wgsl,
 * shaders/matmul-staged.wgsl).
 *
 * Variants: `blocked` (4x4 per thread, no workgroup memory; vec4 loads when every size and stride
 * is a multiple of 4), `tiled` (64x64 workgroup tiles in workgroup memory, for real GPUs) and
 * `staged` / `staged-narrow` (matmul-staged.ts: for CPU-emulated adapters, where they are two to
 * three times as fast as `blocked` on lavapipe; trials consider them on llvmpipe only). The variant for
 * each shape class comes from the engine's `variants.matmul` if set, else from `tuneMatmul`'s timed trial,
 * else a default by adapter kind (blocked on CPU-emulated adapters: cheap to compile, never slow;
 * tiled elsewhere).
 */
import type { MatmulParams, Storage } from '../../../backend.js';
import { asGpuStorage, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { KERNEL_VARIANTS, type KernelVariants } from '../variants.js';
import { fastestVariant, isCpuEmulated, rememberVariant, tunedVariant } from './autotune.js';
import { matmulGrid } from './matmul-grid.js';
import { BLOCKED_TILE, TILED_TILE, blockedKernel, elementDefines, tiledKernel } from './matmul-kernels.js';
import { STAGED_COLS, encodeStagedMatmul, stagedSuits, type StagedVariant } from './matmul-staged.js';

export const MATMUL_VARIANTS = KERNEL_VARIANTS.matmul;
export type MatmulVariant = KernelVariants['matmul'];
/** Work (m * n * k * batch) from which a matmul counts as large. */
const LARGE_WORK = 2 ** 24;
/** Depth up to which a product counts as shallow: one slice of the staged variants. */
const SHALLOW_K = 128;

export function matmul(engine: WebGpuEngine, a: Storage, b: Storage, p: MatmulParams, variant?: MatmulVariant): GpuStorage {
  validate(a, b, p);
  const out = engine.createStorage('f32', p.batch * p.m * p.n);
  if (out.size === 0) return out;
  encodeMatmul(engine, variant ?? matmulVariant(engine, p), a, b, out, p);
  return out;
}

/**
 * Shape classes get their own trial: vec4-aligned or not, small or large, shallow (k within one
 * slice of the staged variants: the HRM step's forward projections) or deep.
 */
export function matmulShapeClass(p: MatmulParams): string {
  const work = p.m * p.n * p.k * p.batch;
  return `matmul/${isVec4Aligned(p) ? 'vec4' : 'scalar'}/${work >= LARGE_WORK ? 'large' : 'small'}/${p.k <= SHALLOW_K ? 'shallow' : 'deep'}`;
}

export function matmulVariant(engine: WebGpuEngine, p: MatmulParams): MatmulVariant {
  return engine.variant('matmul') ?? tunedVariant<MatmulVariant>(engine, matmulShapeClass(p)) ?? (isCpuEmulated(engine) ? 'blocked' : 'tiled');
}

/** A representative shape [m, n, k] for each shape class, used by the trial (large shallow: tall-skinny). */
const TRIAL_SHAPES: readonly [number, number, number][] = [
  [128, 128, 128],
  [127, 129, 127],
  [96, 96, 512],
  [127, 129, 131],
  [1312, 384, 128],
  [1311, 383, 127],
  [384, 384, 384],
  [381, 383, 387],
];

/**
 * Times every variant on one shape per shape class and remembers the winners for this engine.
 * Returns the choices by shape class.
 */
export async function tuneMatmul(engine: WebGpuEngine): Promise<Record<string, MatmulVariant>> {
  const chosen: Record<string, MatmulVariant> = {};
  for (const [m, n, k] of TRIAL_SHAPES) {
    const p: MatmulParams = { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const a = engine.createStorage('f32', m * k);
    const b = engine.createStorage('f32', k * n);
    const out = engine.createStorage('f32', m * n);
    engine.write(a, new Float32Array(m * k).fill(0.5));
    engine.write(b, new Float32Array(k * n).fill(0.25));
    const variant = await fastestVariant(
      engine,
      MATMUL_VARIANTS.filter((v) => !isStaged(v) || stagedSuits(engine)).map((v) => ({ variant: v, run: () => encodeMatmul(engine, v, a, b, out, p) })),
    );
    rememberVariant(engine, matmulShapeClass(p), variant);
    chosen[matmulShapeClass(p)] = variant;
    for (const s of [a, b, out]) engine.release(s);
  }
  return chosen;
}

function isStaged(v: MatmulVariant): v is StagedVariant {
  return Object.hasOwn(STAGED_COLS, v);
}

function isVec4Aligned(p: MatmulParams): boolean {
  return [p.m, p.n, p.k, p.aBatchStride, p.bBatchStride].every((v) => v % 4 === 0);
}

/** Encodes C = op(A) op(B) into `out` with the given variant. */
export function encodeMatmul(engine: WebGpuEngine, variant: MatmulVariant, a: Storage, b: Storage, out: Storage, p: MatmulParams): void {
  if (isStaged(variant)) {
    encodeStagedMatmul(engine, variant, a, b, out, p);
    return;
  }
  const vec4 = variant === 'blocked' && isVec4Aligned(p);
  const tile = variant === 'blocked' ? BLOCKED_TILE : TILED_TILE;
  const { x, y, batchSlices } = matmulGrid(engine, p, tile, tile);
  for (const slice of batchSlices) {
    engine.dispatch(variant === 'blocked' ? blockedKernel : tiledKernel, {
      suffix: vec4 ? '_vec4' : '',
      defines: elementDefines(vec4),
      overrides: { TRANS_A: Number(p.transA), TRANS_B: Number(p.transB) },
      workgroups: [x, y, slice.count],
      inputs: { a, b },
      outputs: { c: out },
      uniforms: { m: p.m, n: p.n, k: p.k, aBatchStride: p.aBatchStride, bBatchStride: p.bBatchStride, batchBase: slice.base },
    });
  }
}

function validate(a: Storage, b: Storage, p: MatmulParams): void {
  const { batch, m, n, k, aBatchStride, bBatchStride } = p;
  for (const [name, v] of Object.entries({ batch, m, n, k, aBatchStride, bBatchStride })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`webgpu matmul: ${name} must be a non-negative integer, found ${v}`);
  }
  for (const [name, s, stride, size] of [
    ['a', a, aBatchStride, m * k],
    ['b', b, bBatchStride, k * n],
  ] as const) {
    if (asGpuStorage(s).dtype !== 'f32') throw new Error(`webgpu matmul: ${name} must be f32, found ${s.dtype}`);
    const needed = batch === 0 ? 0 : (batch - 1) * stride + size;
    if (s.size < needed) throw new Error(`webgpu matmul: ${name} needs at least ${needed} elements for this batch layout, found ${s.size}`);
  }
}
