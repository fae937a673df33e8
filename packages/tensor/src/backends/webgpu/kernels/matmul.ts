/**
 * Batched matmul with transposed operands and broadcast batch strides (shaders/matmul.wgsl,
 * shaders/matmul-staged.wgsl).
 *
 * Variants: `blocked` (4x4 per thread, no workgroup memory; vec4 loads when every size and stride
 * is a multiple of 4), `tiled` (64x64 workgroup tiles in workgroup memory, for real GPUs) and
 * `staged` (matmul-staged.ts: for CPU-emulated adapters, where it is about twice as fast as
 * `blocked` on lavapipe at large shapes; trials consider it on llvmpipe only). The variant for
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
import { encodeStagedMatmul, stagedSuits } from './matmul-staged.js';

export const MATMUL_VARIANTS = KERNEL_VARIANTS.matmul;
export type MatmulVariant = KernelVariants['matmul'];
/** Work (m * n * k * batch) from which a matmul counts as large. */
const LARGE_WORK = 2 ** 24;

export function matmul(engine: WebGpuEngine, a: Storage, b: Storage, p: MatmulParams, variant?: MatmulVariant): GpuStorage {
  validate(a, b, p);
  const out = engine.createStorage('f32', p.batch * p.m * p.n);
  if (out.size === 0) return out;
  encodeMatmul(engine, variant ?? matmulVariant(engine, p), a, b, out, p);
  return out;
}

/** Shape classes get their own trial: vec4-aligned or not, small or large. */
export function matmulShapeClass(p: MatmulParams): string {
  const work = p.m * p.n * p.k * p.batch;
  return `matmul/${isVec4Aligned(p) ? 'vec4' : 'scalar'}/${work >= LARGE_WORK ? 'large' : 'small'}`;
}

export function matmulVariant(engine: WebGpuEngine, p: MatmulParams): MatmulVariant {
  return engine.variant('matmul') ?? tunedVariant<MatmulVariant>(engine, matmulShapeClass(p)) ?? (isCpuEmulated(engine) ? 'blocked' : 'tiled');
}

/** Representative shapes for each shape class, used by the trial. */
const TRIAL_SHAPES: readonly [number, number, number][] = [
  [128, 128, 128],
  [127, 129, 131],
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
      MATMUL_VARIANTS.filter((v) => v !== 'staged' || stagedSuits(engine)).map((v) => ({ variant: v, run: () => encodeMatmul(engine, v, a, b, out, p) })),
    );
    rememberVariant(engine, matmulShapeClass(p), variant);
    chosen[matmulShapeClass(p)] = variant;
    for (const s of [a, b, out]) engine.release(s);
  }
  return chosen;
}

function isVec4Aligned(p: MatmulParams): boolean {
  return [p.m, p.n, p.k, p.aBatchStride, p.bBatchStride].every((v) => v % 4 === 0);
}

/** Encodes C = op(A) op(B) into `out` with the given variant. */
export function encodeMatmul(engine: WebGpuEngine, variant: MatmulVariant, a: Storage, b: Storage, out: Storage, p: MatmulParams): void {
  if (variant === 'staged') {
    encodeStagedMatmul(engine, a, b, out, p);
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
