/**
 * Shared harness for WebGPU tests: one backend per test process (poison mode on, so kernels that
 * leave outputs unwritten show NaN / out-of-range values), and `compareWithCpu`, which runs the
 * same Backend call on the CPU oracle and on WebGPU and compares the results.
 *
 * Without an adapter the WebGPU suites are skipped with a printed notice, unless
 * HRM_REQUIRE_WEBGPU=1 (CI), which turns the missing adapter into a failure.
 *
 * Tolerances: |gpu - cpu| <= atol + rtol * |cpu| elementwise, NaN matching NaN, integers and bools
 * exact. The default rtol 1e-5 suits exactly rounded f32 ops; looser bounds are chosen per test
 * with their reason (transcendental functions, f32 accumulation against the CPU's f64).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { AnyTypedArray, Backend, DType, Storage } from '../../backend.js';
import { createCpuBackend } from '../cpu/index.js';
import { createWebGpuBackend, type WebGpuBackend } from './backend.js';
import { nodeGpu } from './dawn-node.js';
import type { KernelVariants, VariantFamily } from './variants.js';
import { expectClose, storageOf, type Tolerance } from '../../testing/compare.js';
import { startWebGpuForTests } from '../../testing/require-webgpu.js';
import { seedArb, seeded, seededInts } from '../../testing/seeded.js';

export { expectClose, seedArb, seeded, seededInts };

export const cpu: Backend = createCpuBackend();

let shared: Promise<WebGpuBackend | null> | null = null;

/** The process-wide WebGPU backend for tests, or null (after a notice) when there is no adapter. */
export function testBackend(): Promise<WebGpuBackend | null> {
  shared ??= startWebGpuForTests(() => createWebGpuBackend(nodeGpu(), { poison: true, tuneMatmul: false }));
  return shared;
}

/** Forces a kernel variant on the shared backend for the enclosing describe block. */
export function useVariant<F extends VariantFamily>(family: F, choice: KernelVariants[F]): void {
  beforeAll(async () => (await testBackend())?.engine.setVariants({ [family]: choice }));
  afterAll(async () => (await testBackend())?.engine.setVariants({ [family]: undefined }));
}

export interface HostTensor {
  dtype: DType;
  data: ArrayLike<number>;
}

export function host(dtype: DType, data: ArrayLike<number>): HostTensor {
  return { dtype, data };
}

export function upload(backend: Backend, t: HostTensor): Storage {
  return storageOf(backend, t.dtype, t.data);
}

type Outputs = Storage | readonly Storage[] | Readonly<Record<string, Storage>>;

function outputList(out: Outputs): Storage[] {
  if (Array.isArray(out)) return [...out];
  if ('backend' in out && 'dtype' in out) return [out as Storage];
  return Object.values(out as Record<string, Storage>);
}

/** What a backend call returned, read back. */
export interface ReadOutputs {
  values: AnyTypedArray[];
  dtypes: DType[];
}

/** Runs `call` on the CPU oracle and on `gpu` with the same inputs and reads the outputs back, freeing everything it allocated. */
export async function runOnBoth(
  gpu: Backend,
  call: (b: Backend, inputs: Storage[]) => Outputs,
  inputs: readonly HostTensor[],
): Promise<{ cpu: ReadOutputs; gpu: ReadOutputs }> {
  const run = async (b: Backend): Promise<ReadOutputs> => {
    const stored = inputs.map((t) => upload(b, t));
    const outs = outputList(call(b, stored));
    const values = await Promise.all(outs.map((s) => b.read(s)));
    const dtypes = outs.map((s) => s.dtype);
    for (const s of new Set([...stored, ...outs])) b.free(s);
    return { values, dtypes };
  };
  return { cpu: await run(cpu), gpu: await run(gpu) };
}

/**
 * Runs `call` on both backends with the same inputs and expects equal outputs (dtype, size and
 * values within `tol`). A call that works in place returns the storage it modified. Everything
 * it allocated is freed. Returns the read-back outputs for further checks.
 */
export async function compareWithCpu(
  gpu: Backend,
  call: (b: Backend, inputs: Storage[]) => Outputs,
  inputs: readonly HostTensor[],
  tol: Tolerance = {},
): Promise<{ cpu: AnyTypedArray[]; gpu: AnyTypedArray[] }> {
  const { cpu: expected, gpu: actual } = await runOnBoth(gpu, call, inputs);
  expect(actual.dtypes).toEqual(expected.dtypes);
  actual.values.forEach((values, k) => expectClose(values, expected.values[k]!, tol, `output ${k}`));
  return { cpu: expected.values, gpu: actual.values };
}
