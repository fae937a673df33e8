import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  plugins: [
    {
      // WGSL kernels load as text, as tsup's text loader does in the build.
      name: 'wgsl-text',
      load(id) {
        if (id.endsWith('.wgsl')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
        return null;
      },
    },
  ],
  resolve: {
    alias: [
      { find: /^@hrm-webgpu\/tensor\/node$/, replacement: src('./packages/tensor/src/node.ts') },
      { find: /^@hrm-webgpu\/tensor\/testing$/, replacement: src('./packages/tensor/src/testing/index.ts') },
      { find: /^@hrm-webgpu\/tensor$/, replacement: src('./packages/tensor/src/index.ts') },
      { find: /^@hrm-webgpu\/hrm$/, replacement: src('./packages/hrm/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/setup-fast-check.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
