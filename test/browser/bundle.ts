/**
 * Builds the browser test site with esbuild: the tensor package's browser entry as a standalone
 * ESM module (what a web application imports), the test page that uses it through an import map,
 * and index.html. Bundling for the browser fails when browser-safe code reaches a Node built-in or
 * a Node-only package, and the error names the import chain that pulls it in.
 */
import { writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TENSOR_ENTRY = join(repoRoot, 'packages/tensor/src/index.ts');
/** The HRM package's browser-safe entry (the page does not use it; it is only bundled, as a check). */
export const HRM_ENTRY = join(repoRoot, 'packages/hrm/src/index.ts');
const PAGE_ENTRY = fileURLToPath(new URL('./page.ts', import.meta.url));

/** npm packages that only work in Node: Dawn's bindings. */
const NODE_ONLY_PACKAGES = new Set(['webgpu']);

const isNodeOnly = (specifier: string): boolean => isBuiltin(specifier) || NODE_ONLY_PACKAGES.has(specifier.split('/')[0]!);

const INDEX_HTML = `<!doctype html>
<meta charset="utf-8">
<title>hrm-webgpu browser test</title>
<script type="importmap">{ "imports": { "@hrm-webgpu/tensor": "./tensor.js" } }</script>
<script type="module" src="./page.js"></script>
`;

/** Marks a resolution the plugin asked for itself, so that it does not see its own request. */
const OWN_REQUEST = Symbol('own request');

/** Fails the build on Node-only imports, naming the chain of files from the entry point. */
function refuseNodeOnlyImports(): Plugin {
  return {
    name: 'refuse-node-only-imports',
    setup(builder) {
      const firstImporter = new Map<string, string>();
      const chainTo = (file: string): string[] => {
        const chain = [file];
        for (let f = firstImporter.get(file); f !== undefined && !chain.includes(f); f = firstImporter.get(f)) chain.unshift(f);
        return chain.map((p) => relative(repoRoot, p));
      };
      builder.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === OWN_REQUEST || args.kind === 'entry-point') return undefined;
        if (isNodeOnly(args.path)) {
          return {
            errors: [{ text: `"${args.path}" is Node-only but reachable from the browser entry: ${[...chainTo(args.importer), args.path].join(' -> ')}` }],
          };
        }
        const resolved = await builder.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: OWN_REQUEST });
        if (resolved.path && !firstImporter.has(resolved.path)) firstImporter.set(resolved.path, args.importer);
        return undefined;
      });
    },
  };
}

/** Bundles one entry for the browser as ESM into outfile; `external` imports stay as they are. */
export async function bundleForBrowser(entry: string, outfile: string, external: string[] = []): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    external,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'linked',
    loader: { '.wgsl': 'text' },
    plugins: [refuseNodeOnlyImports()],
    logLevel: 'silent',
  });
}

/** Writes tensor.js, page.js and index.html into dir. */
export async function buildTestSite(dir: string): Promise<void> {
  await bundleForBrowser(TENSOR_ENTRY, join(dir, 'tensor.js'));
  await bundleForBrowser(PAGE_ENTRY, join(dir, 'page.js'), ['@hrm-webgpu/tensor']);
  await writeFile(join(dir, 'index.html'), INDEX_HTML);
}
