/**
 * Typed kernel descriptions: one `defineKernel({...})` per WGSL entry point names its inputs,
 * outputs, uniforms (with their WGSL types), workgroup size and the define sets it is built with.
 * From it come the shader's bindings, its `Params` struct and its workgroup-size constants (so the
 * shader body in shaders/ declares none of them), the pipeline's bind group layout, and the packing
 * of the uniforms: host and shader cannot disagree on binding order or on a field's offset.
 *
 * Generated WGSL, prepended to the body before preprocessing (so element types may use `${NAME}`):
 *   @group(0) @binding(i) var<storage, read> <input>: array<T>;        (inputs, in order)
 *   @group(0) @binding(j) var<storage, read_write> <output>: array<T>; (then outputs)
 *   struct Params { <field>: <type>, ... }
 *   @group(0) @binding(n) var<uniform> p: Params;                      (when there are uniforms)
 *   const WORKGROUP_SIZE_X/Y/Z: u32 and WORKGROUP_SIZE (their product)
 * The body writes `@compute @workgroup_size(WORKGROUP_SIZE_X, ...)` on its entry point;
 * kernel-spec.test.ts checks every registered kernel's body against its description.
 */
import type { Storage } from '../../backend.js';
import type { Defines } from './preprocess.js';

/** Uniform field types, laid out by WGSL's uniform address space rules. */
export type UniformType = 'u32' | 'i32' | 'f32' | 'vec4<u32>' | `array<vec4<u32>, ${number}>`;

export type UniformValue<T extends UniformType> = T extends 'u32' | 'i32' | 'f32' ? number : readonly number[];

/** Element types of storage bindings: a WGSL type, possibly a `${NAME}` define. */
export type ElementTypes = Readonly<Record<string, string>>;
export type UniformTypes = Readonly<Record<string, UniformType>>;

export interface KernelDescription<I extends ElementTypes, O extends ElementTypes, U extends UniformTypes> {
  /** Base name: the pipeline label, the profile key (calls may add a suffix) and error messages. */
  name: string;
  /** WGSL body (includes resolved), without bindings, `Params` or workgroup-size constants. */
  body: string;
  entryPoint?: string;
  inputs: I;
  outputs: O;
  uniforms: U;
  /** Defines every build of this kernel has (e.g. the pass of a shader shared by several kernels). */
  defines?: Defines;
  /** Invocations per workgroup along x, y, z, from the defines the kernel is built with. */
  workgroupSize: (defines: Defines) => readonly [number, number?, number?];
  /** Named define sets the kernel is built with (representative ones where they are open-ended). */
  variants: Readonly<Record<string, Defines>>;
}

export interface Kernel<I extends ElementTypes, O extends ElementTypes, U extends UniformTypes> extends KernelDescription<I, O, U> {
  /** The body's `enable` directives, the generated declarations, then the rest of the body: the template the pipeline cache preprocesses. */
  readonly source: string;
  /** The Params struct's layout (no fields: the kernel binds no uniforms). */
  readonly uniformLayout: UniformLayout;
}

export type AnyKernel = Kernel<ElementTypes, ElementTypes, UniformTypes>;

/** One dispatch of a kernel: named operands, typed uniform values. */
export interface KernelCall<I extends ElementTypes, O extends ElementTypes, U extends UniformTypes> {
  /** Appended to the kernel's name in profiles and errors (e.g. '_vec4'). */
  suffix?: string;
  /** The whole name in profiles and errors instead (kernels that serve many ops, e.g. the map kernel). */
  label?: string;
  defines?: Defines;
  /** WGSL `override` constants. */
  overrides?: Readonly<Record<string, number>>;
  /** Workgroup counts [x, y?, z?] (see `engine.grid`). A dispatch with a zero count is skipped. */
  workgroups: readonly number[];
  inputs: { readonly [K in keyof I]: Storage };
  outputs: { readonly [K in keyof O]: Storage };
  uniforms: { readonly [K in keyof U]: UniformValue<U[K]> };
}

const registry: AnyKernel[] = [];

/** Every kernel defined so far (the interface test checks them all). */
export function registeredKernels(): readonly AnyKernel[] {
  return registry;
}

export function defineKernel<const I extends ElementTypes, const O extends ElementTypes, const U extends UniformTypes>(
  description: KernelDescription<I, O, U>,
): Kernel<I, O, U> {
  const kernel = { ...description, source: assemble(description), uniformLayout: layoutOf(description.uniforms) };
  registry.push(kernel as unknown as AnyKernel);
  return kernel;
}

/** WGSL `enable` directives must precede every declaration: they are moved above the generated ones. */
const ENABLE = /^[ \t]*enable\s[^;]*;[ \t]*\n?/gm;

function assemble(d: KernelDescription<ElementTypes, ElementTypes, UniformTypes>): string {
  const enables = d.body.match(ENABLE) ?? [];
  return [...enables.map((e) => e.trim()), declarations(d), d.body.replace(ENABLE, '')].join('\n');
}

/** The generated WGSL declarations of a kernel. */
export function declarations(d: KernelDescription<ElementTypes, ElementTypes, UniformTypes>): string {
  const lines = ['// Generated from the kernel description (kernel-spec.ts).'];
  let binding = 0;
  for (const [name, type] of Object.entries(d.inputs)) lines.push(`@group(0) @binding(${binding++}) var<storage, read> ${name}: array<${type}>;`);
  for (const [name, type] of Object.entries(d.outputs)) lines.push(`@group(0) @binding(${binding++}) var<storage, read_write> ${name}: array<${type}>;`);
  const fields = Object.entries(d.uniforms);
  if (fields.length > 0) {
    lines.push('struct Params {', ...fields.map(([name, type]) => `  ${name}: ${type},`), '}');
    lines.push(`@group(0) @binding(${binding}) var<uniform> p: Params;`);
  }
  for (const axis of ['X', 'Y', 'Z']) lines.push(`const WORKGROUP_SIZE_${axis}: u32 = \${WORKGROUP_SIZE_${axis}}u;`);
  lines.push('const WORKGROUP_SIZE: u32 = WORKGROUP_SIZE_X * WORKGROUP_SIZE_Y * WORKGROUP_SIZE_Z;');
  return lines.join('\n');
}

/** A build's full defines: the kernel's own, the call's, and the generated workgroup-size constants. */
export function buildDefines(kernel: AnyKernel, defines: Defines): Defines {
  const all = { ...kernel.defines, ...defines };
  const [x, y = 1, z = 1] = kernel.workgroupSize(all);
  return { ...all, WORKGROUP_SIZE_X: x, WORKGROUP_SIZE_Y: y, WORKGROUP_SIZE_Z: z };
}

interface FieldLayout {
  name: string;
  type: UniformType;
  offset: number;
  /** 32-bit words. */
  words: number;
}

export interface UniformLayout {
  fields: FieldLayout[];
  bytes: number;
}

/** Offsets of the Params fields (WGSL uniform layout: scalars 4-aligned, vec4 and arrays 16) and the struct size. */
export function layoutOf(uniforms: UniformTypes): UniformLayout {
  let offset = 0;
  let align = 4;
  const fields = Object.entries(uniforms).map(([name, type]) => {
    const array = /^array<vec4<u32>, (\d+)>$/.exec(type);
    const words = array ? 4 * Number(array[1]) : type === 'vec4<u32>' ? 4 : 1;
    const fieldAlign = words === 1 ? 4 : 16;
    align = Math.max(align, fieldAlign);
    offset = Math.ceil(offset / fieldAlign) * fieldAlign;
    const field = { name, type, offset, words };
    offset += words * 4;
    return field;
  });
  // A struct's size rounds up to its alignment; uniform bindings take at least 16 bytes.
  return { fields, bytes: Math.max(16, Math.ceil(offset / align) * align) };
}

/** Packs named uniform values by the kernel's layout, checking names, counts and integrality. */
export function packUniformValues(kernel: AnyKernel, values: Readonly<Record<string, number | readonly number[]>>): ArrayBuffer {
  const { fields, bytes } = kernel.uniformLayout;
  for (const name in values) {
    if (!Object.hasOwn(kernel.uniforms, name))
      throw new Error(
        `webgpu kernel '${kernel.name}': unknown uniforms ${Object.keys(values)
          .filter((n) => !Object.hasOwn(kernel.uniforms, n))
          .join(', ')}`,
      );
  }
  const buffer = new ArrayBuffer(bytes);
  const view = new DataView(buffer);
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined) throw new Error(`webgpu kernel '${kernel.name}': uniform '${field.name}' is missing`);
    const words = typeof value === 'number' ? [value] : value;
    if (words.length !== field.words)
      throw new Error(`webgpu kernel '${kernel.name}': uniform '${field.name}' (${field.type}) takes ${field.words} values, found ${words.length}`);
    words.forEach((word, i) => {
      const at = field.offset + 4 * i;
      if (field.type === 'f32') view.setFloat32(at, word, true);
      else if (!Number.isInteger(word))
        throw new Error(`webgpu kernel '${kernel.name}': uniform '${field.name}' (${field.type}) must be an integer, found ${word}`);
      else if (field.type === 'i32') view.setInt32(at, word, true);
      else view.setUint32(at, word, true);
    });
  }
  return buffer;
}
