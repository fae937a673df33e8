/**
 * Batched matrix multiplication with broadcast batch dimensions. The backend kernel reads either
 * operand transposed, so the backward pass never materialises a transpose.
 */
import { broadcastShapes, formatShape, sameShape, type Shape, shapeSize } from '../shape.js';
import { record, recording } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage } from './creation.js';
import { add } from './elementwise.js';
import { expand, reshape, squeeze, unsqueeze } from './movement.js';

/**
 * op(a) @ op(b) where op transposes the last two axes when the flag is set. Both operands have
 * rank >= 2; batch dims broadcast. When b has no batch dims, a's batch folds into its rows so
 * the whole product is one large matrix multiply.
 */
export function matmulT(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (a.backend !== b.backend) throw new Error('matmul: operands live on different backends.');
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} and ${b.dtype}).`);
  const [m, ka] = lastTwo(a, transA);
  const [kb, n] = lastTwo(b, transB);
  if (ka !== kb) {
    throw new Error(
      `matmul: inner dimensions differ: ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''} (${ka} vs ${kb}).`,
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, 'matmul');
  const out = run(a, b, m, n, ka, batch, transA, transB);
  return recording(a, b) ? record(out, 'matmul', [a, b], { transA, transB }) : out;
}

function lastTwo(t: Tensor, trans: boolean): [number, number] {
  if (t.rank < 2) throw new Error(`matmul: expected rank >= 2, found ${formatShape(t.shape)}.`);
  const r = t.shape[t.rank - 2]!;
  const c = t.shape[t.rank - 1]!;
  return trans ? [c, r] : [r, c];
}

function run(a: Tensor, b: Tensor, m: number, n: number, k: number, batch: Shape, transA: boolean, transB: boolean): Tensor {
  const backend = a.backend;
  const count = shapeSize(batch);
  const outShape = [...batch, m, n];
  if (b.rank === 2 && !transA && sameShape(a.shape.slice(0, -2), batch)) {
    // Fold a's batch into rows: [count*m, k] @ op(b).
    const storage = backend.matmul(a.storage, b.storage, { batch: 1, m: count * m, n, k, transA: false, transB, aBatchStride: 0, bBatchStride: 0 });
    return fromStorage(backend, storage, outShape);
  }
  const [ea, strideA] = batchOperand(a, batch);
  const [eb, strideB] = batchOperand(b, batch);
  try {
    const storage = backend.matmul(ea.storage, eb.storage, { batch: count, m, n, k, transA, transB, aBatchStride: strideA, bBatchStride: strideB });
    return fromStorage(backend, storage, outShape);
  } finally {
    if (ea !== a) ea.dispose();
    if (eb !== b) eb.dispose();
  }
}

/** The operand as stored per batch item, with its batch stride (0 when it is shared by all). */
function batchOperand(t: Tensor, batch: Shape): [Tensor, number] {
  const matrix = t.shape[t.rank - 2]! * t.shape[t.rank - 1]!;
  const own = t.shape.slice(0, -2);
  if (shapeSize(own) === 1) return [t, 0];
  if (sameShape(own, batch)) return [t, matrix];
  return [expand(t, [...batch, ...t.shape.slice(-2)]), matrix];
}

/** NumPy matmul: 1-D operands are promoted to matrices and the added axis removed afterwards. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.rank === 1 ? unsqueeze(b, 1) : b;
  let out = matmulT(a2, b2, false, false);
  if (a.rank === 1) out = squeeze(out, -2);
  if (b.rank === 1) out = squeeze(out, -1);
  return out;
}

/** y = x W^T (+ bias) with W stored [out, in], as in PyTorch's Linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const flat = reshape(x, [-1, x.shape[x.rank - 1]!]);
  const y = reshape(matmulT(flat, weight, false, true), [...x.shape.slice(0, -1), weight.shape[0]!]);
  return bias ? add(y, bias) : y;
}
