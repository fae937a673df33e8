/**
 * Shape and movement ops. reshape is a free view (shared storage); transpose, permute, slice and
 * expand materialise their result with one strided-copy kernel; concat copies regions. Their
 * gradient rules are in gradients/movement.ts.
 */
import { contiguousStrides, formatShape, inferShape, normalizeAxis, sameShape, type Shape, shapeSize } from '../shape.js';
import { record, recording } from '../tape.js';
import { Tensor } from '../tensor.js';
import { fromStorage, zeros } from './creation.js';

export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = inferShape(shape, x.size);
  const out = new Tensor(x.storageRef.retain(), target, x.dtype);
  return recording(x) ? record(out, 'reshape', [x], null) : out;
}

export const flatten = (x: Tensor): Tensor => reshape(x, [x.size]);

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(axis, x.rank, 'squeeze');
  if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${axis} has size ${x.shape[a]}, expected 1.`);
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Reorders axes: out.shape[i] = x.shape[axes[i]]. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const perm = axes.map((a) => normalizeAxis(a, x.rank, 'permute'));
  if (perm.length !== x.rank || new Set(perm).size !== x.rank) {
    throw new Error(`permute: [${axes.join(', ')}] is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}.`);
  }
  const strides = contiguousStrides(x.shape);
  const shape = perm.map((a) => x.shape[a]!);
  const out = fromStorage(x.backend, x.backend.stridedCopy(x.storage, { shape, strides: perm.map((a) => strides[a]!), offset: 0 }), shape);
  const inverse = new Array<number>(perm.length);
  perm.forEach((a, i) => (inverse[a] = i));
  return record(out, 'permute', [x], { inverse });
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  const i = normalizeAxis(a, x.rank, 'transpose');
  const j = normalizeAxis(b, x.rank, 'transpose');
  [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  return permute(x, perm);
}

/** Elements [start, end) along one axis (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normalizeAxis(axis, x.rank, 'slice');
  const len = x.shape[a]!;
  const lo = clampIndex(start, len);
  const hi = Math.max(lo, clampIndex(end ?? len, len));
  const strides = contiguousStrides(x.shape);
  const shape = x.shape.map((d, i) => (i === a ? hi - lo : d));
  const out = fromStorage(x.backend, x.backend.stridedCopy(x.storage, { shape, strides, offset: lo * strides[a]! }), shape);
  return record(out, 'slice', [x], { axis: a, lo, hi });
}

function clampIndex(i: number, len: number): number {
  return Math.min(len, Math.max(0, i < 0 ? i + len : i));
}

/** Joins tensors along an axis; all other dimensions must match. */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor.');
  const first = tensors[0]!;
  const a = normalizeAxis(axis, first.rank, 'concat');
  for (const t of tensors) {
    if (t.rank !== first.rank || t.dtype !== first.dtype || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`concat: ${t.dtype} ${formatShape(t.shape)} does not match ${first.dtype} ${formatShape(first.shape)} outside axis ${a}.`);
    }
  }
  const total = tensors.reduce((s, t) => s + t.shape[a]!, 0);
  const shape = first.shape.map((d, i) => (i === a ? total : d));
  const out = zeros(shape, { dtype: first.dtype });
  const rows = shapeSize(first.shape.slice(0, a));
  const inner = shapeSize(first.shape.slice(a + 1));
  let offset = 0;
  const offsets = tensors.map((t) => {
    first.backend.copyRegion(t.storage, out.storage, rows, t.shape[a]! * inner, total * inner, offset * inner);
    offset += t.shape[a]!;
    return offset - t.shape[a]!;
  });
  return record(out, 'concat', tensors, { axis: a, offsets });
}

export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  return concat(
    tensors.map((t) => unsqueeze(t, axis < 0 ? axis + t.rank + 1 : axis)),
    axis,
  );
}

/** Broadcasts to `shape` (NumPy rules; size-1 dims repeat, new leading dims are added). */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (shape.length < x.rank) throw new Error(`expand: cannot expand ${formatShape(x.shape)} to the smaller rank of ${formatShape(shape)}.`);
  const lead = shape.length - x.rank;
  const strides = contiguousStrides(x.shape);
  const viewStrides = shape.map((d, i) => {
    if (i < lead) return 0;
    const src = x.shape[i - lead]!;
    if (src === d) return src === 1 ? 0 : strides[i - lead]!;
    if (src === 1) return 0;
    throw new Error(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)} (axis ${i}: ${src} vs ${d}).`);
  });
  if (sameShape(x.shape, shape)) return reshape(x, shape);
  const out = fromStorage(x.backend, x.backend.stridedCopy(x.storage, { shape, strides: viewStrides, offset: 0 }), shape);
  return record(out, 'expand', [x], null);
}

/** Tensors here are always contiguous; this is an identity kept for API familiarity. */
export function contiguous(x: Tensor): Tensor {
  return reshape(x, x.shape);
}
