import { defineConfig } from 'vitest/config';
import { packageSources, wgslText } from './scripts/vite-source.js';

export default defineConfig({
  plugins: [wgslText],
  resolve: { alias: packageSources },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/setup-fast-check.ts', 'test/setup-relaxed-simd.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
