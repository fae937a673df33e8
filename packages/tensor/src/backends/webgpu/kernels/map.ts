/**
 * The one elementwise kernel (shaders/elementwise.wgsl) behind fill, cast, unary, binary, where
 * and strided copies: out[i] = expr(a, b, c), each input read through its own strides.
 *
 * Before dispatch, dimensions are coalesced (merged when every input walks them as one, dropped
 * when of size 1), so most calls need no per-element index arithmetic at all.
 */
import type { Storage } from '../../../backend.js';
import body from '../../../../../../shaders/elementwise.wgsl';
import { asGpuStorage, wgslType, type GpuDType, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { defineKernel, type UniformTypes } from '../kernel-spec.js';
import { contiguousStrides } from '../../../shape.js';

const WORKGROUP_SIZE = 256;
const MAX_RANK = 8;
const INPUT_NAMES = ['in_a', 'in_b', 'in_c'] as const;
const MAX_INPUTS = INPUT_NAMES.length;

/** The map kernel with 0 to 3 inputs (p.scalar, the fill value, only without inputs). */
const kernels = [0, 1, 2, 3].map((arity) => {
  const scalar: UniformTypes = arity === 0 ? { scalar: 'u32' } : {};
  const letters = ['A', 'B', 'C'].slice(0, arity);
  const has = { HAS_A: arity > 0, HAS_B: arity > 1, HAS_C: arity > 2 };
  const types = Object.fromEntries(['A', 'B', 'C'].map((l) => [`${l}_T`, 'f32']));
  const expr = letters.length > 0 ? letters.map((l) => l.toLowerCase()).join(' + ') : 'bitcast<f32>(p.scalar)';
  return defineKernel({
    name: `map${arity}`,
    body,
    defines: has,
    inputs: Object.fromEntries(INPUT_NAMES.slice(0, arity).map((name, k) => [name, `\${${letters[k]}_T}`])),
    outputs: { out: '${OUT_T}' },
    uniforms: { n: 'u32', ...scalar, offsets: 'vec4<u32>', shape: 'array<vec4<u32>, 2>', strides: `array<vec4<u32>, ${2 * MAX_INPUTS}>` },
    workgroupSize: () => [WORKGROUP_SIZE],
    variants: {
      contiguous: { ...types, OUT_T: 'f32', STRIDED: false, RANK: 0, EXPR: expr },
      strided: { ...types, OUT_T: 'f32', STRIDED: true, RANK: 3, EXPR: expr },
    },
  });
});

export interface MapInput {
  storage: Storage;
  /** Element stride of each output dimension (0 to broadcast). */
  strides: readonly number[];
  offset: number;
}

export interface MapSpec {
  /** Kernel name for the pipeline cache, errors and profiles. */
  name: string;
  /** WGSL expression over a, b, c (inputs in order) and p.scalar. */
  expr: string;
  outDtype: GpuDType;
  shape: readonly number[];
  inputs: readonly MapInput[];
  /** Raw 32-bit pattern available to expr as p.scalar (fill values). */
  scalarBits?: number;
}

export function runMap(engine: WebGpuEngine, spec: MapSpec): GpuStorage {
  if (spec.inputs.length > MAX_INPUTS) throw new Error(`webgpu ${spec.name}: at most ${MAX_INPUTS} inputs`);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = engine.createStorage(spec.outDtype, size);
  if (size === 0) return out;
  const inputs = spec.inputs.map((input) => ({ ...input, storage: asGpuStorage(input.storage) }));
  const { shape, strides } = coalesce(
    spec.shape,
    inputs.map((input) => input.strides),
  );
  if (shape.length > MAX_RANK) {
    throw new Error(`webgpu ${spec.name}: rank ${shape.length} after merging contiguous dimensions; at most ${MAX_RANK} is supported`);
  }
  const strided = !(shape.length === 0 || (shape.length === 1 && strides.every((s) => s[0] === 1)));

  const offsets = [0, 0, 0, 0];
  inputs.forEach((input, k) => (offsets[k] = input.offset));
  const shapeWords = new Array<number>(MAX_RANK).fill(0);
  shape.forEach((n, d) => (shapeWords[d] = n));
  const strideWords = new Array<number>(MAX_INPUTS * MAX_RANK).fill(0);
  strides.forEach((perDim, k) => perDim.forEach((s, d) => (strideWords[MAX_RANK * k + d] = s)));

  const defines: Record<string, string | number | boolean> = {
    STRIDED: strided,
    RANK: strided ? shape.length : 0,
    OUT_T: wgslType(spec.outDtype),
    EXPR: spec.expr,
  };
  (['A', 'B', 'C'] as const).forEach((letter, k) => {
    const input = inputs[k];
    defines[`${letter}_T`] = input ? wgslType(input.storage.dtype) : 'u32';
  });
  engine.dispatch(kernels[inputs.length]!, {
    label: spec.name,
    defines,
    workgroups: engine.grid(size, WORKGROUP_SIZE),
    inputs: Object.fromEntries(inputs.map((input, k) => [INPUT_NAMES[k]!, input.storage])),
    outputs: { out },
    uniforms: { n: size, ...(inputs.length === 0 && { scalar: spec.scalarBits ?? 0 }), offsets, shape: shapeWords, strides: strideWords },
  });
  return out;
}

/** Strides reading a contiguous input of inShape at every coordinate of outShape (same rank). */
export function broadcastStrides(kernel: string, inShape: readonly number[], outShape: readonly number[]): number[] {
  if (inShape.length !== outShape.length) {
    throw new Error(`webgpu ${kernel}: expected an input of rank ${outShape.length}, found shape [${inShape.join(', ')}]`);
  }
  const strides = contiguousStrides(inShape);
  return inShape.map((n, d) => {
    if (n === outShape[d]) return strides[d]!;
    if (n === 1) return 0;
    throw new Error(`webgpu ${kernel}: shape [${inShape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
  });
}

/** Drops size-1 dimensions and merges neighbours that every input walks contiguously. */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  shape.forEach((n, d) => {
    if (n === 1) return;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      strides.forEach((s, k) => (outStrides[k]![last] = s[d]!));
      return;
    }
    outShape.push(n);
    strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
  });
  return { shape: outShape, strides: outStrides };
}
