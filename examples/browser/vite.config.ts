// The example runs the packages from their sources (no build step needed to try it).
import { defineConfig } from 'vite';
import { packageSources, wgslText } from '../../scripts/vite-source.js';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [wgslText],
  resolve: { alias: packageSources },
  worker: { format: 'es', plugins: () => [wgslText] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
