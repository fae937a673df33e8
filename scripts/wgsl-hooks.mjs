// Node module hooks: `import src from './x.wgsl'` yields the file's text, as tsup's text loader
// does in the build. Lets tsx run sources that import kernels (benchmarks, scripts).
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (!url.endsWith('.wgsl')) return nextLoad(url, context);
  const text = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
}
