/**
 * Choosing the backend new tensors are made on. The CPU backend is always there; WebGPU needs a
 * `GPU` object: navigator.gpu in browsers, or Dawn's in Node (see the package's node entry).
 */
import type { Backend, BackendName } from './backend.js';
import { setCpuSimd } from './backends/cpu/wasm/features.js';
import { activeBackend, cpuBackend, useBackend } from './runtime.js';

export interface SetBackendOptions {
  /** The WebGPU entry point; defaults to navigator.gpu. */
  gpu?: GPU;
  /**
   * Time the matmul variants on the adapter before choosing one (default true): about a second
   * with Dawn on lavapipe, but a minute where every pipeline compile is slow (Deno's wgpu on
   * lavapipe), where a fixed choice starts faster.
   */
  tuneMatmul?: boolean;
  /**
   * CPU backend: false runs every kernel in plain TypeScript, true (where the runtime has
   * WebAssembly SIMD) takes the SIMD kernels. Unset keeps the current choice (default: SIMD where
   * supported, unless the environment variable HRM_CPU_SIMD is 0). See `setCpuSimd`.
   */
  simd?: boolean;
}

const instances = new Map<BackendName, Backend>();

/** Makes `name` the backend for new tensors, creating it on first use. Throws with the reason when WebGPU is unavailable. */
export async function setBackend(name: BackendName, opts: SetBackendOptions = {}): Promise<Backend> {
  if (name === 'cpu' && opts.simd !== undefined) setCpuSimd(opts.simd);
  let backend = instances.get(name);
  if (!backend) {
    backend = name === 'cpu' ? cpuBackend() : await createWebGpu(opts);
    instances.set(name, backend);
  }
  useBackend(backend);
  return backend;
}

async function createWebGpu(opts: SetBackendOptions): Promise<Backend> {
  const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) throw new Error('setBackend("webgpu"): no WebGPU here (navigator.gpu is missing); in Node use initBackend() from the node entry.');
  const { createWebGpuBackend } = await import('./backends/webgpu/backend.js');
  return createWebGpuBackend(gpu, opts.tuneMatmul === undefined ? {} : { tuneMatmul: opts.tuneMatmul });
}

export function getBackend(): Backend {
  return activeBackend();
}

export function backendName(): BackendName {
  return activeBackend().name;
}
