/**
 * Node only: Dawn's WebGPU implementation from the npm `webgpu` package.
 *
 * Dawn flags come from `options.flags` or the `HRM_DAWN_FLAGS` environment variable (comma
 * separated), e.g. `backend=opengles` for the OpenGL ES compatibility path on old Mesa.
 */
import { create, globals } from 'webgpu';
import { readEnv } from './env.js';

let installedGlobals = false;
/**
 * Dawn's instance dies with its JavaScript GPU object, while devices made from it keep polling it:
 * a collected GPU object crashes the process later (in InstanceBase::ProcessEvents). Keep them.
 */
const liveInstances: GPU[] = [];

export function nodeGpu(options: { flags?: string[] } = {}): GPU {
  if (!installedGlobals) {
    // GPUBufferUsage, GPUMapMode... as browsers have them, for code that reads the globals.
    Object.assign(globalThis, globals);
    installedGlobals = true;
  }
  const fromEnv =
    readEnv('HRM_DAWN_FLAGS')
      ?.split(',')
      .map((f) => f.trim())
      .filter((f) => f) ?? [];
  const gpu = create(options.flags ?? fromEnv);
  liveInstances.push(gpu);
  return gpu;
}
