/** Helpers shared by the row-wise and elementwise neural-net kernels: validation and row dispatch. */
import type { Storage } from '../../../backend.js';
import rowReduce from '../../../../../../shaders/row-reduce.wgsl';
import { asGpuStorage, type WebGpuEngine } from '../engine.js';
import type { Defines } from '../preprocess.js';

/** A row kernel's source with the shared workgroup reductions (row-reduce.wgsl) in front. */
export function withRowReduce(source: string): string {
  return `${rowReduce}\n${source}`;
}

/** Threads per row: short rows (vocabularies of a dozen) waste fewer idle threads with 32. */
function rowThreads(cols: number): number {
  return cols <= 32 ? 32 : 64;
}

export interface RowDispatch {
  name: string;
  /** Built with `withRowReduce`. */
  source: string;
  defines?: Defines;
  rows: number;
  cols: number;
  inputs: readonly Storage[];
  outputs: readonly Storage[];
  uniforms: ArrayBuffer;
}

/** One workgroup per row. */
export function dispatchRows(engine: WebGpuEngine, d: RowDispatch): void {
  engine.dispatch({
    name: d.name,
    source: d.source,
    defines: { ...d.defines, ROW_THREADS: rowThreads(d.cols) },
    workgroups: engine.grid(d.rows, 1),
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
