/**
 * @hrm-webgpu/tensor/node: the Node-only half of the package. Loads Dawn (npm `webgpu`) to give
 * WebGPU to Node, runs the CPU backend's matrix products on worker threads, chooses a backend from
 * HRM_BACKEND, and reads/writes files atomically.
 */
import type { BackendName } from './backend.js';
import { setBackend } from './backends.js';
import { probeAdapter } from './backends/webgpu/adapter-kind.js';
import { nodeGpu } from './backends/webgpu/dawn-node.js';
import { readEnv } from './backends/webgpu/env.js';
import { startCpuThreads } from './node/cpu-threads.js';
import { enableRelaxedSimd } from './node/relaxed-simd.js';

// Before any kernel is compiled: the CPU gemm uses relaxed SIMD's fused multiply-add where it validates.
enableRelaxedSimd();

export { nodeGpu } from './backends/webgpu/dawn-node.js';
export { enableRelaxedSimd } from './node/relaxed-simd.js';
export { cpuThreadCount, startCpuThreads, stopCpuThreads } from './node/cpu-threads.js';
export {
  readSafetensorsFile,
  readSafetensorsHeaderFile,
  readStateDictFile,
  removeStaleTemporaries,
  writeFileAtomic,
  writeSafetensorsFile,
} from './node/files.js';

export type BackendPreference = BackendName | 'auto';

/**
 * Activates a backend for this process. `auto` (the default, or HRM_BACKEND) takes WebGPU through
 * Dawn when a hardware adapter exists (Vulkan first, then OpenGL ES in compatibility mode) and
 * otherwise the CPU, printing one line that says which it chose and why. A CPU-emulated adapter
 * (lavapipe, SwiftShader) counts as none for `auto`: the CPU backend is faster. An explicit
 * `webgpu` takes any adapter, and fails instead of falling back.
 */
export async function initBackend(preference?: BackendPreference, log: (line: string) => void = (l) => console.error(l)): Promise<BackendName> {
  const choice = preference ?? parsePreference(readEnv('HRM_BACKEND'));
  if (choice === 'cpu') return useCpu();
  if (choice === 'auto') {
    const probe = await probeAdapter(nodeGpu());
    if (probe?.emulated) {
      log(
        `hrm-webgpu: using the CPU backend: the WebGPU adapter (${probe.description}) is a CPU emulation, slower than the CPU backend; ask for webgpu (HRM_BACKEND=webgpu, --backend webgpu) to use it anyway.`,
      );
      return useCpu();
    }
  }
  const reasons: string[] = [];
  for (const flags of [undefined, ['backend=opengles']]) {
    try {
      const backend = await setBackend('webgpu', { gpu: nodeGpu(flags ? { flags } : {}) });
      if (choice === 'auto') log(`hrm-webgpu: using WebGPU on ${(backend as { description?: string }).description ?? 'an unknown adapter'}.`);
      return backend.name;
    } catch (err) {
      reasons.push(`${flags ? 'OpenGL ES' : 'default'}: ${(err as Error).message}`);
    }
  }
  if (choice === 'webgpu') throw new Error(`WebGPU was requested but is unavailable (${reasons.join('; ')}).`);
  log(`hrm-webgpu: using the CPU backend, WebGPU is unavailable (${reasons.join('; ')}).`);
  return useCpu();
}

/** The CPU backend, its matrix products split over HRM_CPU_THREADS (default: every core) threads. */
async function useCpu(): Promise<BackendName> {
  await startCpuThreads();
  return (await setBackend('cpu')).name;
}

function parsePreference(value: string | undefined): BackendPreference {
  if (value === undefined || value === '') return 'auto';
  if (value === 'cpu' || value === 'webgpu' || value === 'auto') return value;
  throw new Error(`HRM_BACKEND must be cpu, webgpu or auto, found "${value}".`);
}
