import { defineConfig } from 'tsup';

// One build for every package: ESM + .d.ts; WGSL kernels are inlined as text.
const common = {
  format: ['esm' as const],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  loader: { '.wgsl': 'text' as const },
};

export default defineConfig([
  {
    ...common,
    entry: { index: 'packages/tensor/src/index.ts', node: 'packages/tensor/src/node.ts' },
    outDir: 'packages/tensor/dist',
    external: ['webgpu'],
  },
  {
    ...common,
    entry: { index: 'packages/hrm/src/index.ts', node: 'packages/hrm/src/node.ts', cli: 'packages/hrm/src/cli.ts' },
    outDir: 'packages/hrm/dist',
    external: ['@hrm-webgpu/tensor', '@hrm-webgpu/tensor/node', 'webgpu', 'cli-progress'],
  },
]);
