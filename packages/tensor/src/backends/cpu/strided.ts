/**
 * Strided iteration shared by copies, broadcasts and selects: walk an output shape in row-major
 * order, one innermost row at a time, tracking where each operand's row starts. Dims that are
 * contiguous in every operand are merged first, so that contiguous and simply broadcast cases
 * become a few long rows.
 */
import { contiguousStrides, shapeSize } from '../../shape.js';

/** Strides that read a contiguous input of inShape at every index of outShape (same rank, size-1 dims broadcast). */
export function broadcastStrides(kernel: string, inShape: readonly number[], outShape: readonly number[]): number[] {
  if (inShape.length !== outShape.length) {
    throw new Error(`cpu.${kernel}: expected an input of rank ${outShape.length}, found shape [${inShape.join(', ')}]`);
  }
  inShape.forEach((n, d) => {
    if (n !== outShape[d] && n !== 1) {
      throw new Error(`cpu.${kernel}: shape [${inShape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
    }
  });
  return contiguousStrides(inShape).map((s, d) => (inShape[d] === 1 ? 0 : s));
}

/** Drops size-1 dims and merges neighbours that are contiguous in every operand. */
function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  shape.forEach((n, d) => {
    if (n === 1) return;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, q) => outStrides[q][last] === s[d] * n)) {
      outShape[last] *= n;
      strides.forEach((s, q) => (outStrides[q][last] = s[d]));
      return;
    }
    outShape.push(n);
    strides.forEach((s, q) => outStrides[q].push(s[d]));
  });
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls visit(outStart, starts, len, innerStrides) for each innermost row of `shape`: the row covers
 * output elements [outStart, outStart + len) and, in operand q, elements starts[q] + j * innerStrides[q].
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  visit: (outStart: number, starts: readonly number[], len: number, innerStrides: readonly number[]) => void,
): void {
  const size = shapeSize(shape);
  if (size === 0) return;
  const c = collapse(shape, strides);
  const rank = c.shape.length;
  const len = rank === 0 ? 1 : c.shape[rank - 1];
  const innerStrides = c.strides.map((s) => (rank === 0 ? 0 : s[rank - 1]));
  const starts = offsets.slice();
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < size; o += len) {
    visit(o, starts, len, innerStrides);
    // Advance the odometer over the outer dims.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      for (let q = 0; q < starts.length; q++) starts[q] += c.strides[q][d];
      if (index[d] < c.shape[d]) break;
      for (let q = 0; q < starts.length; q++) starts[q] -= c.strides[q][d] * c.shape[d];
      index[d] = 0;
    }
  }
}
