/**
 * The `staged` matmul variant (shaders/matmul-staged.wgsl), built for CPU-emulated adapters, where a
 * per-lane storage load costs a branchy scalar loop and a constant-offset workgroup-memory read is
 * nearly free. One dispatch per `depth`-deep slice of k; a transposed A is first copied to [M, K]
 * so that every invocation reads its own row of A along k.
 */
import type { MatmulParams, Storage } from '../../../backend.js';
import type { WebGpuEngine } from '../engine.js';
import { matmulGrid } from './matmul-grid.js';
import { elementDefines, stagedKernel } from './matmul-kernels.js';
import { stridedCopy } from './movement.js';

/** Invocations per workgroup: rows of C per workgroup. */
const LANES = 256;
/**
 * Columns of C per workgroup (a multiple of 4), by variant: `staged` amortises each lane's loads of
 * its row of A over 64 columns; `staged-narrow` keeps half the accumulators, which llvmpipe can hold
 * in registers, and suits shallow products (k within one slice) such as the HRM step's projections
 * ([B*S, hidden] x [hidden, n]). The timed trial picks per shape class.
 */
export const STAGED_COLS = { staged: 64, 'staged-narrow': 32 } as const;
export type StagedVariant = keyof typeof STAGED_COLS;
/** Depth of k per dispatch where workgroup memory allows (a multiple of 4). */
const MAX_DEPTH = 128;

/**
 * Whether timed trials should consider `staged` on this adapter: it was built for llvmpipe's code
 * generator; elsewhere its large unrolled shader only costs compile time (SwiftShader spends tens of
 * seconds on it, a real GPU has `tiled`). Explicit requests run it on any adapter.
 */
export function stagedSuits(engine: WebGpuEngine): boolean {
  return /llvmpipe|lavapipe/i.test(engine.description);
}

/** The deepest slice whose tile of `cols` columns (plus the shader's sink, one f32 per lane) fits in workgroup memory. */
export function stagedDepth(engine: WebGpuEngine, cols: number = STAGED_COLS.staged): number {
  const fit = Math.floor((engine.limits.maxComputeWorkgroupStorageSize - LANES * 4) / (cols * 4));
  return Math.min(MAX_DEPTH, fit - (fit % 4));
}

/** The unrolled hot part: per 4 depths, one vec4 of the row of A times `cols` staged values per depth. */
function products(depth: number, cols: number): string {
  const lines: string[] = [];
  for (let d = 0; d < depth; d += 4) {
    lines.push(`  {`, `    let x = xs[${d / 4}];`);
    for (let g = 0; g < cols / 4; g++) {
      const term = (j: number) => `x.${'xyzw'[j]} * staged4(${(d + j) * cols + 4 * g}u)`;
      // Summed in pairs first: shorter dependency chains through acc.
      lines.push(`    acc[${g}] += (${term(0)} + ${term(1)}) + (${term(2)} + ${term(3)});`);
    }
    lines.push(`  }`);
  }
  return lines.join('\n');
}

const productsByShape = new Map<string, string>();

/** Encodes C = op(A) op(B) into `out` with one of the staged variants (see the shader for the layout). */
export function encodeStagedMatmul(engine: WebGpuEngine, variant: StagedVariant, a: Storage, b: Storage, out: Storage, p: MatmulParams): void {
  const cols = STAGED_COLS[variant];
  const depth = stagedDepth(engine, cols);
  let body = productsByShape.get(`${depth}/${cols}`);
  if (!body) productsByShape.set(`${depth}/${cols}`, (body = products(depth, cols)));
  // Transposed A: copy to [M, K] (once per distinct matrix: a broadcast A stays broadcast).
  const items = p.aBatchStride === 0 ? 1 : p.batch;
  const rows = p.transA ? stridedCopy(engine, a, { shape: [items, p.m, p.k], strides: [p.aBatchStride, 1, p.m], offset: 0 }) : a;
  const aBatchStride = p.transA && p.aBatchStride !== 0 ? p.m * p.k : p.aBatchStride;
  const vec4 = [p.n, p.k, aBatchStride, p.bBatchStride].every((v) => v % 4 === 0);
  const { x, y, batchSlices } = matmulGrid(engine, p, LANES, cols);
  for (const slice of batchSlices) {
    // k = 0 still takes one dispatch: it writes the zeros.
    for (let k0 = 0; k0 < Math.max(p.k, 1); k0 += depth) {
      engine.dispatch(stagedKernel, {
        suffix: `${cols === STAGED_COLS.staged ? '' : '_narrow'}${vec4 ? '_vec4' : ''}`,
        defines: { ...elementDefines(vec4), LANES, COLS: cols, DEPTH: depth, PRODUCTS: body },
        overrides: { TRANS_B: Number(p.transB) },
        workgroups: [x, y, slice.count],
        inputs: { a: rows, b },
        outputs: { c: out },
        uniforms: { m: p.m, n: p.n, k: p.k, aBatchStride, bBatchStride: p.bBatchStride, batchBase: slice.base, k0, depth4: depth / 4 },
      });
    }
  }
  if (rows !== a) engine.release(rows);
}
