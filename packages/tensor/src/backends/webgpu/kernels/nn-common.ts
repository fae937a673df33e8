/** Helpers shared by the row-wise and elementwise neural-net kernels: validation, the shared row WGSL and row dispatch. */
import type { Storage } from '../../../backend.js';
import rowReduce from '../../../../../../shaders/row-reduce.wgsl';
import rowSoftmax from '../../../../../../shaders/row-softmax.wgsl';
import { asGpuStorage, type WebGpuEngine } from '../engine.js';
import { defineKernel, type ElementTypes, type Kernel, type KernelCall, type KernelDescription, type UniformTypes } from '../kernel-spec.js';
import { resolveIncludes, type Defines } from '../preprocess.js';
import type { KernelVariants } from '../variants.js';
import { isCpuEmulated } from './autotune.js';

const ROW_LIBRARY = { 'row-reduce.wgsl': rowReduce, 'row-softmax.wgsl': rowSoftmax };

/** Threads per row: short rows (vocabularies of a dozen) waste fewer idle threads with 32. */
function rowThreads(cols: number): number {
  return cols <= 32 ? 32 : 64;
}

/** Rows per workgroup in the one-thread-per-row layout. */
const ROWS_PER_WORKGROUP = 64;

export type RowLayout = KernelVariants['rows'];

type RowUniforms = UniformTypes & { rows: 'u32'; cols: 'u32' };

/**
 * A row kernel (its body includes row-reduce.wgsl): the workgroup size and the layout variants
 * come from the row frame; `variants` lists the kernel's own define sets.
 */
export function defineRowKernel<const I extends ElementTypes, const O extends ElementTypes, const U extends RowUniforms>(
  d: Omit<KernelDescription<I, O, U>, 'workgroupSize' | 'variants'> & { variants?: Readonly<Record<string, Defines>> },
): Kernel<I, O, U> {
  const own = d.variants ?? { default: {} };
  const variants: Record<string, Defines> = {};
  for (const [name, defines] of Object.entries(own)) {
    variants[`${name}/workgroup`] = { ...defines, PER_THREAD: false, ROW_WORKGROUP: 64 };
    variants[`${name}/thread`] = { ...defines, PER_THREAD: true, ROW_WORKGROUP: ROWS_PER_WORKGROUP };
  }
  return defineKernel({ ...d, body: resolveIncludes(d.body, ROW_LIBRARY), workgroupSize: (defines) => [Number(defines.ROW_WORKGROUP)], variants });
}

/**
 * One workgroup per row (tree reductions) or one thread per row (no barriers: barriers dominate on
 * CPU-emulated adapters), unless the engine is told which (`variants: { rows }`).
 */
export function rowLayout(engine: WebGpuEngine): RowLayout {
  return engine.variant('rows') ?? (isCpuEmulated(engine) ? 'thread' : 'workgroup');
}

/** Dispatches a row kernel over `rows` rows of `cols` columns (also its `rows` and `cols` uniforms). */
export function dispatchRows<I extends ElementTypes, O extends ElementTypes, U extends RowUniforms>(
  engine: WebGpuEngine,
  kernel: Kernel<I, O, U>,
  call: Omit<KernelCall<I, O, U>, 'workgroups'>,
): void {
  const { rows, cols } = call.uniforms as { rows: number; cols: number };
  const perThread = rowLayout(engine) === 'thread';
  engine.dispatch(kernel, {
    ...call,
    suffix: `${call.suffix ?? ''}${perThread ? '_per_thread' : ''}`,
    defines: { ...call.defines, PER_THREAD: perThread, ROW_WORKGROUP: perThread ? ROWS_PER_WORKGROUP : rowThreads(cols) },
    workgroups: perThread ? engine.grid(rows, ROWS_PER_WORKGROUP) : engine.grid(rows, 1),
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
