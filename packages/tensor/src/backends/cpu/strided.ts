/**
 * Strided iteration shared by copies, broadcasts and selects: an output shape in row-major order
 * as innermost rows, with where each operand's row starts. Dims that are
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
    if (last >= 0 && strides.every((s, q) => outStrides[q]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      strides.forEach((s, q) => (outStrides[q]![last] = s[d]!));
      return;
    }
    outShape.push(n);
    strides.forEach((s, q) => outStrides[q]!.push(s[d]!));
  });
  return { shape: outShape, strides: outStrides };
}

/**
 * The innermost rows of `shape` in row-major order, for kernels that loop over them without a
 * callback per row: row r covers output elements [r * len, (r + 1) * len) and, in operand q,
 * elements starts[q][r] + j * inner[q]. Dims are collapsed first, so a contiguous or simply
 * broadcast operand gives few long rows.
 */
export interface RowPlan {
  rows: number;
  len: number;
  inner: number[];
  starts: Int32Array[];
}

export function planRows(shape: readonly number[], strides: readonly (readonly number[])[], offsets: readonly number[]): RowPlan {
  const size = shapeSize(shape);
  const c = collapse(shape, strides);
  const rank = c.shape.length;
  const len = rank === 0 ? 1 : c.shape[rank - 1]!;
  const rows = size === 0 ? 0 : size / len!;
  const inner = c.strides.map((s) => (rank === 0 ? 0 : s[rank - 1]!));
  const starts = offsets.map(() => new Int32Array(rows));
  const cursor = offsets.slice();
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cursor.length; q++) starts[q]![r] = cursor[q]!;
    // Advance the odometer over the outer dims.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      for (let q = 0; q < cursor.length; q++) cursor[q]! += c.strides[q]![d]!;
      if (index[d]! < c.shape[d]!) break;
      for (let q = 0; q < cursor.length; q++) cursor[q]! -= c.strides[q]![d]! * c.shape[d]!;
      index[d] = 0;
    }
  }
  return { rows, len, inner, starts };
}
