/**
 * profile(fn): which kernels a piece of work ran, how often, and for how long on the GPU. For
 * people who study the engine; it serialises GPU work, so use it to compare kernels, not to time
 * end-to-end throughput.
 */
import type { WebGpuBackend } from './backends/webgpu/backend.js';
import type { ProfileReport } from './backends/webgpu/profiler.js';
import { activeBackend } from './runtime.js';

export type { KernelProfile, ProfileReport } from './backends/webgpu/profiler.js';

export async function profile<T>(fn: () => T | Promise<T>): Promise<ProfileReport<T>> {
  const backend = activeBackend();
  if (backend.name !== 'webgpu') throw new Error(`profile() needs the WebGPU backend (the active backend is ${backend.name}).`);
  return (backend as WebGpuBackend).engine.profile(fn);
}
