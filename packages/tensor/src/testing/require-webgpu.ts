/**
 * WebGPU in tests without an adapter: the suites are skipped with a printed notice, unless
 * HRM_REQUIRE_WEBGPU=1 (CI), which turns the missing adapter into a failure.
 */
import { envFlag } from '../backends/webgpu/env.js';

/** HRM_REQUIRE_WEBGPU=1 (CI): a missing WebGPU adapter fails the suite instead of skipping it. */
export function webgpuRequired(): boolean {
  return envFlag('HRM_REQUIRE_WEBGPU');
}

/** Runs `start`; when it fails, null after a notice, or a thrown error under HRM_REQUIRE_WEBGPU=1. */
export async function startWebGpuForTests<T>(start: () => Promise<T>): Promise<T | null> {
  try {
    return await start();
  } catch (error) {
    const message = (error as Error).message;
    if (webgpuRequired()) throw new Error(`HRM_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${message}`);
    console.warn(`[hrm] skipping WebGPU tests: ${message}`);
    return null;
  }
}
