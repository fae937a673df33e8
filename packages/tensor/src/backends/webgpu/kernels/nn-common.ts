/** Helpers shared by the row-wise and elementwise neural-net kernels: validation, the shared row WGSL and row dispatch. */
import type { Storage } from '../../../backend.js';
import rowReduce from '../../../../../../shaders/row-reduce.wgsl';
import rowSoftmax from '../../../../../../shaders/row-softmax.wgsl';
import { readEnv } from '../env.js';
import { asGpuStorage, type WebGpuEngine } from '../engine.js';
import { resolveIncludes, type Defines } from '../preprocess.js';
import { isCpuEmulated } from './autotune.js';

const ROW_LIBRARY = { 'row-reduce.wgsl': rowReduce, 'row-softmax.wgsl': rowSoftmax };

/** A row kernel's source with its `#include`s of the shared row code resolved. */
export function rowKernelSource(source: string): string {
  return resolveIncludes(source, ROW_LIBRARY);
}

/** Threads per row: short rows (vocabularies of a dozen) waste fewer idle threads with 32. */
function rowThreads(cols: number): number {
  return cols <= 32 ? 32 : 64;
}

/** Rows per workgroup in the one-thread-per-row layout. */
const ROWS_PER_WORKGROUP = 64;

export type RowLayout = 'workgroup' | 'thread';

/**
 * One workgroup per row (tree reductions) or one thread per row (no barriers: barriers dominate on
 * CPU-emulated adapters). HRM_ROW_LAYOUT=workgroup|thread overrides, e.g. to test both.
 */
export function rowLayout(engine: WebGpuEngine): RowLayout {
  const forced = readEnv('HRM_ROW_LAYOUT');
  if (forced === 'workgroup' || forced === 'thread') return forced;
  if (forced) throw new Error(`HRM_ROW_LAYOUT='${forced}': expected workgroup or thread`);
  return isCpuEmulated(engine) ? 'thread' : 'workgroup';
}

export interface RowDispatch {
  name: string;
  /** Built with `rowKernelSource`. */
  source: string;
  defines?: Defines;
  rows: number;
  cols: number;
  inputs: readonly Storage[];
  outputs: readonly Storage[];
  uniforms: ArrayBuffer;
}

export function dispatchRows(engine: WebGpuEngine, d: RowDispatch): void {
  const perThread = rowLayout(engine) === 'thread';
  engine.dispatch({
    name: `${d.name}${perThread ? '_per_thread' : ''}`,
    source: d.source,
    defines: { ...d.defines, PER_THREAD: perThread, WORKGROUP_THREADS: perThread ? ROWS_PER_WORKGROUP : rowThreads(d.cols) },
    workgroups: perThread ? engine.grid(d.rows, ROWS_PER_WORKGROUP) : engine.grid(d.rows, 1),
    inputs: d.inputs,
    outputs: d.outputs,
    uniforms: d.uniforms,
  });
}

export function expectCounts(kernel: string, counts: Record<string, number>): void {
  for (const [name, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`webgpu ${kernel}: ${name} must be a non-negative integer, found ${v}`);
  }
}

/** Checks dtype and element count of an operand. */
export function expectOperand(kernel: string, name: string, s: Storage, dtype: 'f32' | 'i32', size: number): void {
  const g = asGpuStorage(s);
  if (g.dtype !== dtype) throw new Error(`webgpu ${kernel}: ${name} must be ${dtype}, found ${g.dtype}`);
  if (g.size !== size) throw new Error(`webgpu ${kernel}: ${name} has ${g.size} elements, expected ${size}`);
}
