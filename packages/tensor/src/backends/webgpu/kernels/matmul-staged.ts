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

/**
 * Columns of C per workgroup (a multiple of 4), by variant: `staged` amortises each lane's loads of
 * its row of A over 64 columns; `staged-narrow` keeps half the accumulators, which llvmpipe can hold
 * in registers, and suits shallow products (k within one slice) such as the HRM step's projections
 * ([B*S, hidden] x [hidden, n]). The timed trial picks per shape class.
 */
export const STAGED_COLS = { staged: 64, 'staged-narrow': 32 } as const;
export type StagedVariant = keyof typeof STAGED_COLS;
/** Rows of C per workgroup (one per invocation) the shape may choose from. */
const LANE_CHOICES = [256, 128, 64] as const;
/** Depths of k per dispatch the shape may choose from besides the deepest that fits (multiples of 4). */
const DEPTH_CHOICES = [116, 108, 96, 64, 32] as const;
/**
 * Fixed costs of a workgroup and of a k slice, in the units they are weighed against (rows of C
 * and depths of k): each workgroup stages its own tile of B, each slice reloads every lane's row of
 * A and re-reads and re-writes C. Measured on lavapipe (process CPU time): the weight gradient
 * [128, 1312] x [1312, 384] runs 1.42x as fast at 128 rows as at 256 (half of those idle), 64 rows
 * gain less (1.33x); `staged-narrow` on the step's [1312, 128] x [128, 1024] projection gains 1.18x
 * at 128 rows (7% idle instead of 15%), `staged` 1.40-1.55x on the projections with two slices of 64
 * instead of 124 + 4; slices of 96-124 cost the same within noise when they divide k alike.
 */
const WORKGROUP_COST_ROWS = 16;
const SLICE_COST_DEPTH = 24;

export interface StagedShape {
  /** Rows of C per workgroup: the workgroup size. */
  lanes: number;
  /** Depth of k per dispatch (unrolled in the shader). */
  depth: number;
}

/**
 * The workgroup height and slice depth for a product: the fewest rows and depths computed in vain
 * (past m, past k), weighed against the fixed cost of each workgroup and slice. A handful of choices
 * only: each (lanes, depth) pair is a pipeline of its own, and llvmpipe takes seconds to compile one.
 */
export function stagedShape(engine: WebGpuEngine, variant: StagedVariant, m: number, k: number): StagedShape {
  const cols = STAGED_COLS[variant];
  const lanes = cheapest(LANE_CHOICES, (l) => Math.ceil(m / l) * (l + WORKGROUP_COST_ROWS));
  const maxDepth = stagedDepth(engine, cols, lanes);
  const depths = [maxDepth, ...DEPTH_CHOICES.filter((d) => d < maxDepth)];
  const depth = cheapest(depths, (d) => Math.max(1, Math.ceil(k / d)) * (d + SLICE_COST_DEPTH));
  return { lanes, depth };
}

/** The choice of least cost; ties go to the earliest (the largest). */
function cheapest(choices: readonly number[], cost: (choice: number) => number): number {
  let best = choices[0]!;
  for (const c of choices) if (cost(c) < cost(best)) best = c;
  return best;
}

/**
 * Whether timed trials should consider `staged` on this adapter: it was built for llvmpipe's code
 * generator; elsewhere its large unrolled shader only costs compile time (SwiftShader spends tens of
 * seconds on it, a real GPU has `tiled`). Explicit requests run it on any adapter.
 */
export function stagedSuits(engine: WebGpuEngine): boolean {
  return /llvmpipe|lavapipe/i.test(engine.description);
}

/** The deepest slice (a multiple of 4, at most 128) whose tile of `cols` columns, plus the shader's sink of one f32 per lane, fits in workgroup memory. */
export function stagedDepth(engine: WebGpuEngine, cols: number, lanes: number): number {
  const fit = Math.floor((engine.limits.maxComputeWorkgroupStorageSize - lanes * 4) / (cols * 4));
  return Math.min(128, fit - (fit % 4));
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

/**
 * Encodes C = op(A) op(B) into `out` with one of the staged variants (see the shader for the
 * layout); `shape` overrides the workgroup height and slice depth `stagedShape` would choose.
 */
export function encodeStagedMatmul(
  engine: WebGpuEngine,
  variant: StagedVariant,
  a: Storage,
  b: Storage,
  out: Storage,
  p: MatmulParams,
  shape: StagedShape = stagedShape(engine, variant, p.m, p.k),
): void {
  const cols = STAGED_COLS[variant];
  const { lanes, depth } = shape;
  if (depth % 4 !== 0 || depth < 4 || depth > stagedDepth(engine, cols, lanes)) {
    throw new Error(`webgpu matmul: ${variant} slice depth ${depth} must be a multiple of 4 from 4 to ${stagedDepth(engine, cols, lanes)} at ${lanes} rows`);
  }
  let body = productsByShape.get(`${depth}/${cols}`);
  if (!body) productsByShape.set(`${depth}/${cols}`, (body = products(depth, cols)));
  // Transposed A: copy to [M, K] (once per distinct matrix: a broadcast A stays broadcast).
  const items = p.aBatchStride === 0 ? 1 : p.batch;
  const rows = p.transA ? stridedCopy(engine, a, { shape: [items, p.m, p.k], strides: [p.aBatchStride, 1, p.m], offset: 0 }) : a;
  const aBatchStride = p.transA && p.aBatchStride !== 0 ? p.m * p.k : p.aBatchStride;
  const vec4 = [p.n, p.k, aBatchStride, p.bBatchStride].every((v) => v % 4 === 0);
  const { x, y, batchSlices } = matmulGrid(engine, p, lanes, cols);
  for (const slice of batchSlices) {
    // k = 0 still takes one dispatch: it writes the zeros.
    for (let k0 = 0; k0 < Math.max(p.k, 1); k0 += depth) {
      engine.dispatch(stagedKernel, {
        suffix: `${cols === STAGED_COLS.staged ? '' : '_narrow'}${vec4 ? '_vec4' : ''}`,
        defines: { ...elementDefines(vec4), LANES: lanes, COLS: cols, DEPTH: depth, PRODUCTS: body },
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
