/** gather and its adjoint scatterAdd along the middle axis of [outer, n, inner]. */
import type { Storage } from '../../../backend.js';
import gatherBody from '../../../../../../shaders/gather.wgsl';
import scatterBody from '../../../../../../shaders/scatter.wgsl';
import { asGpuStorage, wgslType, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';

const WORKGROUP_SIZE = 256;
const TYPES = { f32: { T: 'f32' }, i32: { T: 'i32' } };
const common = { workgroupSize: () => [WORKGROUP_SIZE] as const };
/** [outer, n, inner] with m ids; n_out counts the output elements. */
const sizes = { n_out: 'u32', n: 'u32', m: 'u32', inner: 'u32' } as const;

const gatherKernel = defineKernel({
  ...common,
  name: 'gather',
  body: gatherBody,
  inputs: { x: '${T}', ids: 'i32' },
  outputs: { out: '${T}' },
  uniforms: sizes,
  variants: { ...TYPES, bool: { T: 'u32' } },
});

// scatterAdd's passes (see scatter.wgsl).
const scatter = {
  count: defineKernel({
    ...common,
    name: 'scatterAdd_count',
    body: scatterBody,
    defines: { PASS: 'count' },
    inputs: { ids: 'i32' },
    outputs: { offsets: 'u32' },
    uniforms: { n: 'u32', m: 'u32' },
    variants: { default: {} },
  }),
  scan: defineKernel({
    ...common,
    name: 'scatterAdd_scan',
    body: scatterBody,
    defines: { PASS: 'scan' },
    inputs: {},
    outputs: { offsets: 'u32' },
    uniforms: { n: 'u32' },
    variants: { default: {} },
  }),
  bucket: defineKernel({
    ...common,
    name: 'scatterAdd_bucket',
    body: scatterBody,
    defines: { PASS: 'bucket' },
    inputs: { ids: 'i32', offsets: 'u32' },
    outputs: { list: 'u32' },
    uniforms: { n: 'u32', m: 'u32' },
    variants: { default: {} },
  }),
  sum: defineKernel({
    ...common,
    name: 'scatterAdd',
    body: scatterBody,
    defines: { PASS: 'sum' },
    inputs: { src: '${T}', offsets: 'u32', list: 'u32' },
    outputs: { out: '${T}' },
    uniforms: sizes,
    variants: TYPES,
  }),
};

function checkOperands(kernel: string, ids: Storage, outer: number, n: number, inner: number): void {
  for (const [name, v] of Object.entries({ outer, n, inner })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`webgpu ${kernel}: ${name} must be a non-negative integer, found ${v}`);
  }
  if (asGpuStorage(ids).dtype !== 'i32') throw new Error(`webgpu ${kernel}: ids must be i32, found ${ids.dtype}`);
}

export function gather(engine: WebGpuEngine, x: Storage, ids: Storage, outer: number, n: number, inner: number): GpuStorage {
  checkOperands('gather', ids, outer, n, inner);
  const dtype = asGpuStorage(x).dtype;
  if (x.size !== outer * n * inner) throw new Error(`webgpu gather: x has ${x.size} elements, expected ${outer} x ${n} x ${inner}`);
  const m = ids.size;
  const nOut = outer * m * inner;
  const out = engine.createStorage(dtype, nOut);
  if (nOut === 0) return out;
  engine.dispatch(gatherKernel, {
    suffix: `_${dtype}`,
    defines: { T: wgslType(dtype) },
    workgroups: engine.grid(nOut, WORKGROUP_SIZE),
    inputs: { x, ids },
    outputs: { out },
    uniforms: { n_out: nOut, n, m, inner },
  });
  return out;
}

/** Deterministic, atomic-free scatter-add: ids bucketed on the GPU, then one thread per output (see scatter.wgsl). */
export function scatterAdd(engine: WebGpuEngine, src: Storage, ids: Storage, outer: number, n: number, inner: number): GpuStorage {
  checkOperands('scatterAdd', ids, outer, n, inner);
  const dtype = asGpuStorage(src).dtype;
  if (dtype === 'bool') throw new Error('webgpu scatterAdd: src must be f32 or i32, found bool');
  const m = ids.size;
  if (src.size !== outer * m * inner) throw new Error(`webgpu scatterAdd: src has ${src.size} elements, expected ${outer} x ${m} x ${inner}`);
  const nOut = outer * n * inner;
  const out = engine.createStorage(dtype, nOut);
  if (nOut === 0) return out;
  const grid = (threads: number) => engine.grid(threads, WORKGROUP_SIZE);
  const offsets = engine.createStorage('i32', n + 1);
  const list = engine.createStorage('i32', m);
  engine.dispatch(scatter.count, { workgroups: grid(n), inputs: { ids }, outputs: { offsets }, uniforms: { n, m } });
  engine.dispatch(scatter.scan, { workgroups: grid(1), inputs: {}, outputs: { offsets }, uniforms: { n } });
  engine.dispatch(scatter.bucket, { workgroups: grid(n), inputs: { ids, offsets }, outputs: { list }, uniforms: { n, m } });
  engine.dispatch(scatter.sum, {
    suffix: `_${dtype}`,
    defines: { T: wgslType(dtype) },
    workgroups: grid(nOut),
    inputs: { src, offsets, list },
    outputs: { out },
    uniforms: { n_out: nOut, n, m, inner },
  });
  engine.release(offsets);
  engine.release(list);
  return out;
}
