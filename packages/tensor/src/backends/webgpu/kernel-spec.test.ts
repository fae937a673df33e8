// Every kernel's WGSL against its description (kernel-spec.ts), without a GPU: the shader bodies
// declare no bindings of their own, every build listed in `variants` preprocesses, its entry point
// takes the generated workgroup size, it reads only declared uniforms, and every declared operand
// and uniform is used by some build (an unused one means host and shader have drifted apart).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import './backend.js'; // loads every kernel module, which registers its kernels
import { buildDefines, declarations, defineKernel, layoutOf, packUniformValues, registeredKernels, type AnyKernel } from './kernel-spec.js';
import { preprocess } from './preprocess.js';

const SHADERS = new URL('../../../../../shaders/', import.meta.url);

/** Problems of one kernel against its description (empty when it agrees). */
function problems(kernel: AnyKernel): string[] {
  const found: string[] = [];
  const builds = Object.entries(kernel.variants);
  if (builds.length === 0) return [`${kernel.name}: no variants to check`];
  for (const [pattern, what] of [
    [/@binding/, 'a binding'],
    [/\bstruct\s+Params\b/, 'a Params struct'],
    [/var<uniform>/, 'a uniform'],
  ] as const) {
    if (pattern.test(kernel.body)) found.push(`${kernel.name}: the body declares ${what} (generated from the description)`);
  }
  const fields = Object.keys(kernel.uniforms);
  const operands = [...Object.keys(kernel.inputs), ...Object.keys(kernel.outputs)];
  const used = new Set<string>();
  const entry = kernel.entryPoint ?? 'main';
  for (const [variant, defines] of builds) {
    const where = `${kernel.name} (${variant})`;
    let code: string;
    try {
      code = preprocess(kernel.source, buildDefines(kernel, defines));
    } catch (e) {
      found.push(`${where}: ${(e as Error).message}`);
      continue;
    }
    const body = code.slice(code.indexOf(declarations(kernel).split('\n').pop()!) + 1).replace(/\/\/.*$/gm, '');
    const [x, y = 1, z = 1] = kernel.workgroupSize({ ...kernel.defines, ...defines });
    const axes = ['WORKGROUP_SIZE_X', ...(y > 1 || z > 1 ? ['WORKGROUP_SIZE_Y'] : []), ...(z > 1 ? ['WORKGROUP_SIZE_Z'] : [])].join(', ');
    const attribute = new RegExp(`@compute\\s+@workgroup_size\\(([^)]*)\\)\\s*fn\\s+${entry}\\b`).exec(body);
    if (!attribute) found.push(`${where}: no '@compute @workgroup_size(...) fn ${entry}'`);
    else if (attribute[1]!.replace(/\s+/g, ' ').trim() !== axes)
      found.push(`${where}: @workgroup_size(${attribute[1]}), expected (${axes}) for [${x}, ${y}, ${z}]`);
    for (const [, field] of body.matchAll(/\bp\.(\w+)/g)) {
      if (!fields.includes(field!)) found.push(`${where}: reads p.${field}, which is not among its uniforms`);
      used.add(`p.${field}`);
    }
    for (const name of operands) if (new RegExp(`\\b${name}\\s*\\[`).test(body)) used.add(name);
  }
  for (const name of operands) if (!used.has(name)) found.push(`${kernel.name}: operand '${name}' is never indexed by any build`);
  for (const field of fields) if (!used.has(`p.${field}`)) found.push(`${kernel.name}: uniform '${field}' is never read by any build`);
  return found;
}

describe('typed kernel interface', () => {
  it('every kernel agrees with its description', () => {
    const kernels = registeredKernels();
    expect(kernels.length).toBeGreaterThan(20);
    expect(kernels.flatMap(problems)).toEqual([]);
  });

  it('no shader file declares bindings or a Params struct by hand', () => {
    const files = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl'));
    expect(files.length).toBeGreaterThan(10);
    const declaring = files.filter((f) => /@binding|struct\s+Params\b|var<uniform>/.test(readFileSync(new URL(f, SHADERS), 'utf8')));
    expect(declaring).toEqual([]);
  });

  it('finds a body that disagrees with its description', () => {
    const base = {
      name: 'drift',
      inputs: { x: 'f32' },
      outputs: { y: 'f32' },
      uniforms: { n: 'u32' },
      workgroupSize: () => [64] as const,
      variants: { default: {} },
    } as const;
    const good = defineKernel({ ...base, body: '@compute @workgroup_size(WORKGROUP_SIZE_X) fn main() { y[0] = x[p.n]; }' });
    expect(problems(good)).toEqual([]);
    const unknownField = defineKernel({ ...base, body: '@compute @workgroup_size(WORKGROUP_SIZE_X) fn main() { y[0] = x[p.n + p.m]; }' });
    expect(problems(unknownField)).toEqual(['drift (default): reads p.m, which is not among its uniforms']);
    const unusedInput = defineKernel({ ...base, body: '@compute @workgroup_size(WORKGROUP_SIZE_X) fn main() { y[0] = f32(p.n); }' });
    expect(problems(unusedInput)).toEqual(["drift: operand 'x' is never indexed by any build"]);
    const ownBinding = defineKernel({
      ...base,
      body: '@group(0) @binding(0) var<storage, read> z: array<f32>;\n@compute @workgroup_size(64) fn main() { y[0] = x[p.n]; }',
    });
    expect(problems(ownBinding)).toEqual([
      'drift: the body declares a binding (generated from the description)',
      'drift (default): @workgroup_size(64), expected (WORKGROUP_SIZE_X) for [64, 1, 1]',
    ]);
  });

  it('lays out and packs uniforms by WGSL rules, rejecting wrong names, counts and non-integers', () => {
    const uniforms = { n: 'u32', scale: 'f32', offsets: 'vec4<u32>', bias: 'i32', shape: 'array<vec4<u32>, 2>' } as const;
    expect(layoutOf(uniforms)).toEqual({
      bytes: 80,
      fields: [
        { name: 'n', type: 'u32', offset: 0, words: 1 },
        { name: 'scale', type: 'f32', offset: 4, words: 1 },
        { name: 'offsets', type: 'vec4<u32>', offset: 16, words: 4 },
        { name: 'bias', type: 'i32', offset: 32, words: 1 },
        { name: 'shape', type: 'array<vec4<u32>, 2>', offset: 48, words: 8 },
      ],
    });
    const kernel = defineKernel({ name: 'pack', body: '', inputs: {}, outputs: {}, uniforms, workgroupSize: () => [1] as const, variants: {} });
    const view = new DataView(packUniformValues(kernel, { n: 7, scale: 0.5, offsets: [1, 2, 3, 4], bias: -2, shape: [5, 6, 7, 8, 9, 10, 11, 12] }));
    expect([view.getUint32(0, true), view.getFloat32(4, true), view.getUint32(28, true), view.getInt32(32, true), view.getUint32(76, true)]).toEqual([
      7, 0.5, 4, -2, 12,
    ]);
    expect(() => packUniformValues(kernel, { n: 7, scale: 0.5, offsets: [1, 2, 3], bias: 0, shape: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow(
      /offsets.*takes 4 values, found 3/,
    );
    expect(() => packUniformValues(kernel, { n: 1.5, scale: 0.5, offsets: [1, 2, 3, 4], bias: 0, shape: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow(
      /'n' \(u32\) must be an integer/,
    );
    expect(() => packUniformValues(kernel, { scale: 0.5, offsets: [1, 2, 3, 4], bias: 0, shape: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow(/'n' is missing/);
    expect(() => packUniformValues(kernel, { n: 1, typo: 2, scale: 0.5, offsets: [1, 2, 3, 4], bias: 0, shape: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow(
      /unknown uniforms typo/,
    );
  });
});
