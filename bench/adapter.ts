/**
 * Prints the WebGPU adapter Dawn picks here (vendor, architecture, device, feature level) on one
 * line, or exits with status 1 and the reason. Used by bench/gpu.sh.
 *
 *   node --import tsx --import ./scripts/register-wgsl.mjs bench/adapter.ts
 */
import { requestWebGpuDevice } from '../packages/tensor/src/backends/webgpu/device.js';
import { nodeGpu } from '../packages/tensor/src/backends/webgpu/dawn-node.js';

const request = await requestWebGpuDevice(nodeGpu());
if (!request.ok) {
  console.error(`no WebGPU adapter: ${request.reason}`);
  process.exit(1);
}
const f16 = request.device.features.has('shader-f16') ? ', shader-f16' : '';
const subgroups = request.device.features.has('subgroups') ? ', subgroups' : '';
console.log(`${request.description}${f16}${subgroups}`);
request.device.destroy();
process.exit(0);
