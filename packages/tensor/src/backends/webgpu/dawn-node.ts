/**
 * Node only: Dawn's WebGPU implementation from the npm `webgpu` package.
 *
 * Dawn flags come from `options.flags` or the `HRM_DAWN_FLAGS` environment variable (comma
 * separated), e.g. `backend=opengles` for the OpenGL ES compatibility path on old Mesa.
 */
import { create, globals } from 'webgpu';
import { readEnv } from './env.js';

let installedGlobals = false;

export function nodeGpu(options: { flags?: string[] } = {}): GPU {
  if (!installedGlobals) {
    // GPUBufferUsage, GPUMapMode... as browsers have them, for code that reads the globals.
    Object.assign(globalThis, globals);
    installedGlobals = true;
  }
  const fromEnv = readEnv('HRM_DAWN_FLAGS')?.split(',').map((f) => f.trim()).filter((f) => f) ?? [];
  return create(options.flags ?? fromEnv);
}
