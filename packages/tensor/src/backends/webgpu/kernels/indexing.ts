/** gather and its adjoint scatterAdd along the middle axis of [outer, n, inner]. */
import type { Storage } from '../../../backend.js';
import gatherSource from '../../../../../../shaders/gather.wgsl';
import scatterSource from '../../../../../../shaders/scatter.wgsl';
import { asGpuStorage, packUniforms, wgslType, type GpuStorage, type WebGpuEngine } from '../engine.js';

const WORKGROUP_SIZE = 256;

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
  engine.dispatch({
    name: `gather_${dtype}`,
    source: gatherSource,
    defines: { WORKGROUP_SIZE, T: wgslType(dtype) },
    workgroups: engine.grid(nOut, WORKGROUP_SIZE),
    inputs: [x, ids],
    outputs: [out],
    uniforms: packUniforms([nOut, n, m, inner]),
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
  const uniforms = packUniforms([nOut, n, m, inner]);
  const pass = (name: string, threads: number, inputs: Storage[], outputs: Storage[]) =>
    engine.dispatch({
      name: name === 'sum' ? `scatterAdd_${dtype}` : `scatterAdd_${name}`,
      source: scatterSource,
      defines: name === 'sum' ? { WORKGROUP_SIZE, PASS: name, T: wgslType(dtype) } : { WORKGROUP_SIZE, PASS: name },
      workgroups: engine.grid(threads, WORKGROUP_SIZE),
      inputs,
      outputs,
      uniforms,
    });
  const offsets = engine.createStorage('i32', n + 1);
  const list = engine.createStorage('i32', m);
  pass('count', n, [ids], [offsets]);
  pass('scan', 1, [], [offsets]);
  pass('bucket', n, [ids, offsets], [list]);
  pass('sum', nOut, [src, offsets, list], [out]);
  engine.release(offsets);
  engine.release(list);
  return out;
}
