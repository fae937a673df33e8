/** stridedCopy (the map kernel reading through a view) and the in-place copyRegion. */
import type { Storage, StridedView } from '../../../backend.js';
import body from '../../../../../../shaders/movement.wgsl';
import { asGpuStorage, wgslType, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { defineKernel } from '../kernel-spec.js';
import { runMap } from './map.js';

const WORKGROUP_SIZE = 256;
const copyRegionKernel = defineKernel({
  name: 'copyRegion',
  body,
  inputs: { src: '${T}' },
  outputs: { dst: '${T}' },
  uniforms: { n: 'u32', src_row_len: 'u32', dst_row_len: 'u32', col_offset: 'u32' },
  workgroupSize: () => [WORKGROUP_SIZE],
  variants: { f32: { T: 'f32' }, i32: { T: 'i32' }, bool: { T: 'u32' } },
});

export function stridedCopy(engine: WebGpuEngine, x: Storage, view: StridedView): GpuStorage {
  const { shape, strides, offset } = view;
  if (shape.length !== strides.length) {
    throw new Error(`webgpu stridedCopy: expected ${shape.length} strides for shape [${shape.join(', ')}], found ${strides.length}`);
  }
  if (shape.every((n) => n > 0)) {
    // The extreme offsets the view reaches must lie inside x (the GPU cannot throw).
    let lo = offset;
    let hi = offset;
    shape.forEach((n, d) => {
      const reach = strides[d]! * (n - 1);
      if (reach < 0) lo += reach;
      else hi += reach;
    });
    if (lo < 0 || hi >= x.size) {
      throw new Error(`webgpu stridedCopy: view reaches offsets [${lo}, ${hi}] outside a storage of ${x.size} elements`);
    }
  }
  const dtype = asGpuStorage(x).dtype;
  return runMap(engine, { name: `stridedCopy_${dtype}`, expr: 'a', outDtype: dtype, shape, inputs: [{ storage: x, strides, offset }] });
}

export function copyRegion(engine: WebGpuEngine, src: Storage, dst: Storage, rows: number, srcRowLen: number, dstRowLen: number, dstColOffset: number): void {
  const dtype = asGpuStorage(src).dtype;
  if (asGpuStorage(dst).dtype !== dtype) throw new Error(`webgpu copyRegion: src is ${dtype} but dst is ${dst.dtype}`);
  for (const [name, v] of Object.entries({ rows, srcRowLen, dstRowLen, dstColOffset })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`webgpu copyRegion: ${name} must be a non-negative integer, found ${v}`);
  }
  if (src.size !== rows * srcRowLen) throw new Error(`webgpu copyRegion: src has ${src.size} elements, expected ${rows} x ${srcRowLen}`);
  if (dst.size !== rows * dstRowLen) throw new Error(`webgpu copyRegion: dst has ${dst.size} elements, expected ${rows} x ${dstRowLen}`);
  if (dstColOffset + srcRowLen > dstRowLen) {
    throw new Error(`webgpu copyRegion: columns [${dstColOffset}, ${dstColOffset + srcRowLen}) exceed the destination row length ${dstRowLen}`);
  }
  const n = rows * srcRowLen;
  if (n === 0) return;
  if (srcRowLen === dstRowLen) {
    engine.copyBuffer(src, 0, dst, 0, n);
    return;
  }
  engine.dispatch(copyRegionKernel, {
    suffix: `_${dtype}`,
    defines: { T: wgslType(dtype) },
    workgroups: engine.grid(n, WORKGROUP_SIZE),
    inputs: { src },
    outputs: { dst },
    uniforms: { n, src_row_len: srcRowLen, dst_row_len: dstRowLen, col_offset: dstColOffset },
  });
}
