/**
 * Vite/vitest settings that run the packages from their TypeScript sources: WGSL kernels load as
 * text (as tsup's text loader does in the build) and the package names resolve to src/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Alias, Plugin } from 'vite';

const src = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

export const wgslText: Plugin = {
  name: 'wgsl-text',
  load(id) {
    if (id.endsWith('.wgsl')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    return null;
  },
};

export const packageSources: Alias[] = [
  { find: /^@hrm-webgpu\/tensor\/node$/, replacement: src('packages/tensor/src/node.ts') },
  { find: /^@hrm-webgpu\/tensor\/testing$/, replacement: src('packages/tensor/src/testing/index.ts') },
  { find: /^@hrm-webgpu\/tensor$/, replacement: src('packages/tensor/src/index.ts') },
  { find: /^@hrm-webgpu\/hrm$/, replacement: src('packages/hrm/src/index.ts') },
];
