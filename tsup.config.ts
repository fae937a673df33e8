import { defineConfig } from 'tsup';

// One build for every package: ESM + .d.ts; WGSL kernels are inlined as text. Source maps only
// with HRM_SOURCEMAP=1 (they would double the published size).
const common = {
  format: ['esm' as const],
  dts: true,
  sourcemap: process.env.HRM_SOURCEMAP === '1',
  clean: true,
  target: 'node20',
  loader: { '.wgsl': 'text' as const },
};

export default defineConfig([
  {
    ...common,
    // gemm-worker is loaded by URL next to node.js (see node/cpu-threads.ts).
    entry: {
      index: 'packages/tensor/src/index.ts',
      node: 'packages/tensor/src/node.ts',
      'gemm-worker': 'packages/tensor/src/node/gemm-worker.ts',
      testing: 'packages/tensor/src/testing/index.ts',
    },
    outDir: 'packages/tensor/dist',
    // The testing entry's test-runner imports stay imports (optional peer dependencies).
    // The package's own dependencies stay imports (tsup reads only the root package.json).
    external: ['webgpu', 'fflate', 'vitest', 'fast-check'],
    // The declarations name WebGPU's types (GPUDevice, ...): the package depends on @webgpu/types.
    dts: { banner: '/// <reference types="@webgpu/types" />' },
  },
  {
    ...common,
    entry: { index: 'packages/hrm/src/index.ts', node: 'packages/hrm/src/node.ts', cli: 'packages/hrm/src/cli.ts' },
    outDir: 'packages/hrm/dist',
    external: ['@hrm-webgpu/tensor', '@hrm-webgpu/tensor/node', 'webgpu', 'cli-progress', 'yaml'],
  },
]);
