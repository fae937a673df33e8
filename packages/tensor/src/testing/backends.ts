/**
 * The backends a front-end test suite runs against: always the CPU, plus the shared WebGPU test
 * backend (see backends/webgpu/test-utils.ts: skipped with a notice without an adapter, a failure
 * under HRM_REQUIRE_WEBGPU=1).
 */
import type { Backend } from '../backend.js';
import { testBackend } from '../backends/webgpu/test-utils.js';
import { cpuBackend } from '../runtime.js';

export const webgpuForTests = (): Promise<Backend | null> => testBackend();

export async function backendsForTests(): Promise<Backend[]> {
  const gpu = await webgpuForTests();
  return gpu ? [cpuBackend(), gpu] : [cpuBackend()];
}
