/**
 * The backends a test suite runs against: always the CPU, plus WebGPU through Dawn when an
 * adapter exists. Without one the WebGPU suites are skipped with a printed notice, unless
 * HRM_REQUIRE_WEBGPU=1 (as CI sets), which turns a missing adapter into a failure.
 */
import type { Backend } from '../backend.js';
import { nodeGpu } from '../backends/webgpu/dawn-node.js';
import { cpuBackend } from '../runtime.js';

let webgpu: Promise<Backend | null> | null = null;

/** One shared WebGPU backend per test process, or null (after a notice) when there is no adapter. */
export function webgpuForTests(): Promise<Backend | null> {
  webgpu ??= (async () => {
    try {
      const { createWebGpuBackend } = await import('../backends/webgpu/backend.js');
      return await createWebGpuBackend(nodeGpu(), { tuneMatmul: false });
    } catch (err) {
      const reason = (err as Error).message;
      if (process.env.HRM_REQUIRE_WEBGPU === '1') throw new Error(`HRM_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${reason}`);
      console.warn(`[tests] WebGPU suite skipped: ${reason} (set HRM_REQUIRE_WEBGPU=1 to fail instead).`);
      return null;
    }
  })();
  return webgpu;
}

export async function backendsForTests(): Promise<Backend[]> {
  const gpu = await webgpuForTests();
  return gpu ? [cpuBackend(), gpu] : [cpuBackend()];
}
