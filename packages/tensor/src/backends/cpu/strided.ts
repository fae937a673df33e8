/** Offsets of a strided view in row-major order of its shape: the index map shared by copies and broadcasts. */
export function stridedOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(size);
  if (size === 0) return out;
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const innerStride = rank === 0 ? 0 : strides[rank - 1];
  let base = offset;
  for (let o = 0; o < size; o += inner) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) out[o + j] = p;
    // Advance the odometer over the outer dimensions.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += strides[d];
      if (index[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Row-major strides of a contiguous shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Index map from outShape into a contiguous input of inShape (same rank, size-1 dims broadcast),
 * or null when no broadcasting is needed (the identity map).
 */
export function broadcastOffsets(kernel: string, inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (inShape.length !== outShape.length) {
    throw new Error(`cpu.${kernel}: expected an input of rank ${outShape.length}, found shape [${inShape.join(', ')}]`);
  }
  let same = true;
  for (let d = 0; d < outShape.length; d++) {
    if (inShape[d] !== outShape[d]) {
      if (inShape[d] !== 1) {
        throw new Error(`cpu.${kernel}: shape [${inShape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
      }
      same = false;
    }
  }
  if (same) return null;
  const strides = contiguousStrides(inShape).map((s, d) => (inShape[d] === 1 ? 0 : s));
  return stridedOffsets(outShape, strides, 0);
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
