/**
 * reduce over the middle axis of [outer, reduce, inner] (shaders/reduce.wgsl).
 *
 * Variant choice: rows of at least TREE_MIN_REDUCE elements with few outputs get one workgroup per
 * output (a tree reduction, which also keeps f32 sums accurate); otherwise one thread per output
 * folds its row, which avoids barriers (expensive on CPU-emulated adapters) when there are enough
 * outputs to fill the device.
 */
import type { ReduceOp, Storage } from '../../../backend.js';
import source from '../../../../../../shaders/reduce.wgsl';
import { asGpuStorage, packUniforms, wgslType, type GpuDType, type GpuStorage, type WebGpuEngine } from '../engine.js';

const THREAD_WORKGROUP_SIZE = 64;
const TREE_WORKGROUP_SIZE = 128;
const TREE_MIN_REDUCE = 256;
const TREE_MAX_OUTPUTS = 16384;

const OPS: readonly ReduceOp[] = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'];

export function reduce(engine: WebGpuEngine, op: ReduceOp, x: Storage, outer: number, reduce: number, inner: number): GpuStorage {
  const kernel = `reduce(${op})`;
  if (!OPS.includes(op)) throw new Error(`webgpu reduce: unknown op '${op}'`);
  for (const [name, v] of Object.entries({ outer, reduce, inner })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`webgpu ${kernel}: ${name} must be a non-negative integer, found ${v}`);
  }
  const dtype = asGpuStorage(x).dtype;
  if (x.size !== outer * reduce * inner) {
    throw new Error(`webgpu ${kernel}: x has ${x.size} elements, expected ${outer} x ${reduce} x ${inner}`);
  }
  const nOut = outer * inner;
  if (reduce === 0 && nOut > 0 && op !== 'sum' && op !== 'prod') throw new Error(`webgpu ${kernel}: cannot reduce an empty axis`);
  const { acc, out: outDtype } = types(op, dtype);
  const out = engine.createStorage(outDtype, nOut);
  if (nOut === 0) return out;
  const tree = reduce >= TREE_MIN_REDUCE && nOut <= TREE_MAX_OUTPUTS;
  const workgroupSize = tree ? TREE_WORKGROUP_SIZE : THREAD_WORKGROUP_SIZE;
  engine.dispatch({
    name: `reduce_${op}_${dtype}${tree ? '_tree' : ''}`,
    source,
    defines: { WORKGROUP_SIZE: workgroupSize, OP: op, TREE: tree, IN_T: wgslType(dtype), ACC_T: acc, OUT_T: wgslType(outDtype) },
    workgroups: tree ? engine.grid(nOut, 1) : engine.grid(nOut, workgroupSize),
    inputs: [x],
    outputs: [out],
    uniforms: packUniforms([outer, reduce, inner, nOut]),
  });
  return out;
}

/** Accumulator type and result dtype: integer sums and products are i32; max/min keep the dtype. */
function types(op: ReduceOp, dtype: GpuDType): { acc: 'f32' | 'i32' | 'u32'; out: GpuDType } {
  if (op === 'argmax' || op === 'argmin') return { acc: wgslType(dtype), out: 'i32' };
  if (op === 'max' || op === 'min') return { acc: wgslType(dtype), out: dtype };
  return dtype === 'f32' ? { acc: 'f32', out: 'f32' } : { acc: 'i32', out: 'i32' };
}
