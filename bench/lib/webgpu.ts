/**
 * One Dawn GPU for a benchmark process, shared by our WebGPU backend and
 * @tensorflow/tfjs-backend-webgpu (which looks for navigator.gpu), so that both run on the same
 * adapter. Registers the .wgsl text loader before the engine's modules are imported, so that
 * `npx tsx bench/<name>.ts` works from source.
 */
import { register } from 'node:module';

register('../../scripts/wgsl-hooks.mjs', import.meta.url);

const { nodeGpu } = await import('../../packages/tensor/src/backends/webgpu/dawn-node.js');
const { createWebGpuBackend } = await import('../../packages/tensor/src/backends/webgpu/backend.js');

/** Held for the life of the process: Dawn's instance must stay reachable while the device is used. */
export const gpu = nodeGpu();
(globalThis as { navigator?: unknown }).navigator = { gpu };

export const backend = await createWebGpuBackend(gpu);
export const engine = backend.engine;

/** tfjs-core with its WebGPU backend active on the same GPU. */
export async function tfjsWebGpu(): Promise<typeof import('@tensorflow/tfjs-core')> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not initialise');
  await tf.ready();
  return tf;
}

export function randomF32(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}
