/** Index select along the middle axis of [outer, n, inner], and its scatter-add adjoint. */
import type { AnyTypedArray, Storage } from '../../backend.js';
import { cpuStorage, expectDtype, expectNonNegativeInt, expectSize, indexOperand, newArray } from './storage.js';

function checkDims(kernel: string, outer: number, n: number, inner: number): void {
  for (const [name, v] of Object.entries({ outer, n, inner })) expectNonNegativeInt(kernel, name, v);
}

export function gather(x: Storage, ids: Storage, outer: number, n: number, inner: number): AnyTypedArray {
  checkDims('gather', outer, n, inner);
  const st = cpuStorage(x, 'gather', 'x');
  expectSize('gather', 'x', st.size, outer * n * inner);
  const m = cpuStorage(ids, 'gather', 'ids').size;
  const idx = indexOperand('gather', 'ids', ids, m, n);
  const src = st.data;
  const out = newArray(st.dtype, outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * n + idx[j]!) * inner;
      out.set(src.subarray(from, from + inner), (o * m + j) * inner);
    }
  }
  return out;
}

export function scatterAdd(src: Storage, ids: Storage, outer: number, n: number, inner: number): AnyTypedArray {
  checkDims('scatterAdd', outer, n, inner);
  const st = cpuStorage(src, 'scatterAdd', 'src');
  expectDtype('scatterAdd', 'src', st.dtype, ['f32', 'f64', 'i32']);
  const m = cpuStorage(ids, 'scatterAdd', 'ids').size;
  const idx = indexOperand('scatterAdd', 'ids', ids, m, n);
  expectSize('scatterAdd', 'src', st.size, outer * m * inner);
  const from = st.data;
  // Accumulate in f64 so that f32 sums of duplicates are rounded once.
  const acc = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const s = (o * m + j) * inner;
      const d = (o * n + idx[j]!) * inner;
      for (let i = 0; i < inner; i++) acc[d + i]! += from[s + i]!;
    }
  }
  const out = newArray(st.dtype, acc.length);
  out.set(acc);
  return out;
}
