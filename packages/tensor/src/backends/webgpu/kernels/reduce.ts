/**
 * reduce over the middle axis of [outer, reduce, inner] (shaders/reduce.wgsl), in one of two
 * variants:
 * - rows: one thread per output folds its row sequentially, no barriers. When there are too few
 *   outputs to fill the device and rows are long, each thread folds one CHUNK of a row instead and
 *   a second, much shorter reduction combines the chunks (this also bounds f32 sum error).
 * - tree: one workgroup per output with a tree reduction in workgroup memory; the usual choice on
 *   real GPUs for long rows, but barriers are so expensive on CPU-emulated adapters (lavapipe:
 *   about 10x slower on [5248, 512] sums) that those always take rows.
 */
import type { ReduceOp, Storage } from '../../../backend.js';
import body from '../../../../../../shaders/reduce.wgsl';
import { asGpuStorage, wgslType, type GpuDType, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';
import { isCpuEmulated } from './autotune.js';

const ROWS_WORKGROUP_SIZE = 64;
const TREE_WORKGROUP_SIZE = 128;
const TREE_MIN_REDUCE = 256;
const TREE_MAX_OUTPUTS = 16384;
/** Below this many outputs, long rows are split into chunks so that more threads share the work. */
const SPLIT_MAX_OUTPUTS = 4096;
const CHUNK = 256;

const OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

const reduceKernel = defineKernel({
  name: 'reduce',
  body,
  inputs: { x: '${IN_T}' },
  outputs: { out: '${OUT_T}' },
  uniforms: { reduce: 'u32', inner: 'u32', n_out: 'u32', chunk: 'u32', chunks: 'u32' },
  workgroupSize: (d) => [d.TREE ? TREE_WORKGROUP_SIZE : ROWS_WORKGROUP_SIZE],
  variants: {
    sumRows: { OP: 'sum', TREE: false, IN_T: 'f32', ACC_T: 'f32', OUT_T: 'f32' },
    sumTree: { OP: 'sum', TREE: true, IN_T: 'i32', ACC_T: 'i32', OUT_T: 'i32' },
    argmaxRows: { OP: 'argmax', TREE: false, IN_T: 'f32', ACC_T: 'f32', OUT_T: 'i32' },
    minTree: { OP: 'min', TREE: true, IN_T: 'u32', ACC_T: 'u32', OUT_T: 'u32' },
  },
});

export type ReduceVariant = 'rows' | 'tree';

export function reduceVariant(engine: WebGpuEngine, length: number, outputs: number): ReduceVariant {
  return !isCpuEmulated(engine) && length >= TREE_MIN_REDUCE && outputs <= TREE_MAX_OUTPUTS ? 'tree' : 'rows';
}

export function reduce(
  engine: WebGpuEngine,
  op: ReduceOp,
  x: Storage,
  outer: number,
  length: number,
  inner: number,
  variant: ReduceVariant = reduceVariant(engine, length, outer * inner),
): GpuStorage {
  const kernel = `reduce(${op})`;
  if (!OPS.includes(op)) throw new Error(`webgpu reduce: unknown op '${op}'`);
  for (const [name, v] of Object.entries({ outer, reduce: length, inner })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`webgpu ${kernel}: ${name} must be a non-negative integer, found ${v}`);
  }
  const dtype = asGpuStorage(x).dtype;
  if (x.size !== outer * length * inner) {
    throw new Error(`webgpu ${kernel}: x has ${x.size} elements, expected ${outer} x ${length} x ${inner}`);
  }
  const nOut = outer * inner;
  if (length === 0 && nOut > 0 && op !== 'sum' && op !== 'prod') throw new Error(`webgpu ${kernel}: cannot reduce an empty axis`);
  const { acc, out: outDtype } = types(op, dtype);
  const tree = variant === 'tree';
  const split = !tree && !op.startsWith('arg') && nOut < SPLIT_MAX_OUTPUTS && length > 2 * CHUNK;
  const chunks = split ? Math.ceil(length / CHUNK) : 1;
  const out = engine.createStorage(outDtype, nOut * chunks);
  if (nOut === 0) return out;
  engine.dispatch(reduceKernel, {
    suffix: `_${op}_${dtype}${tree ? '_tree' : ''}`,
    defines: { OP: op, TREE: tree, IN_T: wgslType(dtype), ACC_T: acc, OUT_T: wgslType(outDtype) },
    workgroups: tree ? engine.grid(nOut, 1) : engine.grid(nOut * chunks, ROWS_WORKGROUP_SIZE),
    inputs: { x },
    outputs: { out },
    uniforms: { reduce: length, inner, n_out: nOut * chunks, chunk: split ? CHUNK : length, chunks },
  });
  if (!split) return out;
  // Partial results are already in the result dtype, and every op here combines like itself.
  const combined = reduce(engine, op, out, outer, chunks, inner, variant);
  engine.release(out);
  return combined;
}

/** Accumulator type and result dtype: integer sums and products are i32; max/min keep the dtype. */
function types(op: ReduceOp, dtype: GpuDType): { acc: 'f32' | 'i32' | 'u32'; out: GpuDType } {
  if (op === 'argmax' || op === 'argmin') return { acc: wgslType(dtype), out: 'i32' };
  if (op === 'max' || op === 'min') return { acc: wgslType(dtype), out: dtype };
  return dtype === 'f32' ? { acc: 'f32', out: 'f32' } : { acc: 'i32', out: 'i32' };
}
