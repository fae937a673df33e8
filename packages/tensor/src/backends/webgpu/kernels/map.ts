/**
 * The one elementwise kernel (shaders/elementwise.wgsl) behind fill, cast, unary, binary, where
 * and strided copies: out[i] = expr(a, b, c), each input read through its own strides.
 *
 * Before dispatch, dimensions are coalesced (merged when every input walks them as one, dropped
 * when of size 1), so most calls need no per-element index arithmetic at all.
 */
import type { Storage } from '../../../backend.js';
import source from '../../../../../../shaders/elementwise.wgsl';
import { asGpuStorage, wgslType, type GpuDType, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { contiguousStrides } from '../../../shape.js';

const WORKGROUP_SIZE = 256;
const MAX_RANK = 8;
const MAX_INPUTS = 3;

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
  const { shape, strides } = coalesce(spec.shape, inputs.map((input) => input.strides));
  if (shape.length > MAX_RANK) {
    throw new Error(`webgpu ${spec.name}: rank ${shape.length} after merging contiguous dimensions; at most ${MAX_RANK} is supported`);
  }
  const strided = !(shape.length === 0 || (shape.length === 1 && strides.every((s) => s[0] === 1)));

  const params = new Uint32Array(40); // the Params struct of elementwise.wgsl
  params.set([size, spec.scalarBits ?? 0]);
  inputs.forEach((input, k) => (params[4 + k] = input.offset));
  shape.forEach((n, d) => (params[8 + d] = n));
  strides.forEach((perDim, k) => perDim.forEach((s, d) => (params[16 + 8 * k + d] = s)));

  const defines: Record<string, string | number | boolean> = {
    WORKGROUP_SIZE,
    STRIDED: strided,
    RANK: strided ? shape.length : 0,
    OUT_T: wgslType(spec.outDtype),
    OUT_BINDING: inputs.length,
    PARAMS_BINDING: inputs.length + 1,
    EXPR: spec.expr,
  };
  (['A', 'B', 'C'] as const).forEach((letter, k) => {
    const input = inputs[k];
    defines[`HAS_${letter}`] = input !== undefined;
    defines[`${letter}_T`] = input ? wgslType(input.storage.dtype) : 'u32';
  });
  engine.dispatch({
    name: spec.name,
    source,
    defines,
    workgroups: engine.grid(size, WORKGROUP_SIZE),
    inputs: inputs.map((input) => input.storage),
    outputs: [out],
    uniforms: params,
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
