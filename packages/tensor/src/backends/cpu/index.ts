/**
 * The CPU backend: every kernel of the backend contract in pure TypeScript over typed arrays.
 * It is the oracle the WebGPU kernels are tested against. f64 tensors are computed in full f64
 * (the exact path that gradient checks use); f32 tensors in f32 storage: intermediates (attention
 * scores, probabilities) are f32 arrays, exponentials use exp32 (exp.ts), and scalar accumulators
 * are JavaScript numbers, so row sums and dot products still round once per element in double.
 *
 * This module only wires storages to kernels and counts bytes; the kernels live in one module per
 * family and return typed arrays (fresh or recycled from freed storages, see storage.ts) that are
 * adopted here as new storages.
 */
import { DTYPE_BYTES, type AnyTypedArray, type Backend, type DType, type Storage } from '../../backend.js';
import { binary, unary, where } from './elementwise.js';
import { gather, scatterAdd } from './indexing.js';
import { matmul } from './matmul.js';
import { cast, copyRegion, fill, stridedCopy } from './memory.js';
import { attention, attentionBackward } from './nn/attention.js';
import { crossEntropy, crossEntropyBackward } from './nn/cross-entropy.js';
import { rmsNorm, rmsNormBackward } from './nn/rms-norm.js';
import { packedAttention, packedAttentionBackward } from './nn/packed-attention.js';
import { rope } from './nn/rope.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from './nn/softmax.js';
import { swiglu, swigluBackward } from './nn/swiglu.js';
import { adamATan2Update, adamWUpdate, signSgdRows } from './optimizers.js';
import { reduce } from './reduce.js';
import { CpuStorage, cpuStorage, dtypeOfArray, expectDtype, expectSize, recycle } from './storage.js';

export { CpuStorage } from './storage.js';

export function createCpuBackend(): Backend {
  let bytes = 0;

  const adopt = (data: AnyTypedArray): CpuStorage => {
    const s = new CpuStorage(dtypeOfArray(data), data);
    bytes += data.byteLength;
    return s;
  };

  return {
    name: 'cpu',
    dtypes: ['f32', 'f64', 'i32', 'bool'],

    alloc: (dtype: DType, size: number) => adopt(fill(dtype, size, 0)),
    free(storage: Storage) {
      const s = cpuStorage(storage, 'free', 'storage');
      bytes -= s.size * DTYPE_BYTES[s.dtype];
      recycle(s.data);
      s.release();
    },
    write(storage: Storage, data: AnyTypedArray) {
      const s = cpuStorage(storage, 'write', 'storage');
      expectDtype('write', 'data', dtypeOfArray(data), [s.dtype]);
      expectSize('write', 'data', data.length, s.size);
      s.data.set(data);
    },
    read: async (storage: Storage) => cpuStorage(storage, 'read', 'storage').data.slice(),
    bytesAllocated: () => bytes,

    fill: (dtype, size, value) => adopt(fill(dtype, size, value)),
    cast: (x, to) => adopt(cast(x, to)),
    stridedCopy: (x, view) => adopt(stridedCopy(x, view)),
    copyRegion,

    unary: (op, x) => adopt(unary(op, x)),
    binary: (op, a, aShape, b, bShape, outShape) => adopt(binary(op, a, aShape, b, bShape, outShape)),
    where: (cond, condShape, a, aShape, b, bShape, outShape) => adopt(where(cond, condShape, a, aShape, b, bShape, outShape)),

    reduce: (op, x, outer, n, inner) => adopt(reduce(op, x, outer, n, inner)),
    matmul: (a, b, p) => adopt(matmul(a, b, p)),
    gather: (x, ids, outer, n, inner) => adopt(gather(x, ids, outer, n, inner)),
    scatterAdd: (src, ids, outer, n, inner) => adopt(scatterAdd(src, ids, outer, n, inner)),

    softmax: (x, rows, cols) => adopt(softmax(x, rows, cols)),
    logSoftmax: (x, rows, cols) => adopt(logSoftmax(x, rows, cols)),
    softmaxBackward: (y, dy, rows, cols) => adopt(softmaxBackward(y, dy, rows, cols)),
    logSoftmaxBackward: (y, dy, rows, cols) => adopt(logSoftmaxBackward(y, dy, rows, cols)),
    rmsNorm(x, rows, cols, eps) {
      const { y, invRms } = rmsNorm(x, rows, cols, eps);
      return { y: adopt(y), invRms: adopt(invRms) };
    },
    rmsNormBackward: (dy, x, invRms, rows, cols) => adopt(rmsNormBackward(dy, x, invRms, rows, cols)),
    swiglu: (gateUp, rows, inter) => adopt(swiglu(gateUp, rows, inter)),
    swigluBackward: (gateUp, dOut, rows, inter) => adopt(swigluBackward(gateUp, dOut, rows, inter)),
    rope: (x, cos, sin, batch, heads, seq, dim, inverse) => adopt(rope(x, cos, sin, batch, heads, seq, dim, inverse)),
    attention(q, k, v, p, mask) {
      const { o, lse } = attention(q, k, v, p, mask);
      return { o: adopt(o), lse: adopt(lse) };
    },
    attentionBackward(q, k, v, o, lse, dO, p, mask) {
      const { dq, dk, dv } = attentionBackward(q, k, v, o, lse, dO, p, mask);
      return { dq: adopt(dq), dk: adopt(dk), dv: adopt(dv) };
    },
    packedAttention(qkv, p, rope) {
      const { o, lse } = packedAttention(qkv, p, rope);
      return { o: adopt(o), lse: adopt(lse) };
    },
    packedAttentionBackward: (qkv, o, lse, dO, p, rope) => adopt(packedAttentionBackward(qkv, o, lse, dO, p, rope)),
    crossEntropy: (logits, labels, rows, cols, ignoreIndex, kind) => adopt(crossEntropy(logits, labels, rows, cols, ignoreIndex, kind)),
    crossEntropyBackward: (logits, labels, dLoss, rows, cols, ignoreIndex, kind) =>
      adopt(crossEntropyBackward(logits, labels, dLoss, rows, cols, ignoreIndex, kind)),

    adamATan2Update,
    adamWUpdate,
    signSgdRows,

    sync: async () => {},
  };
}
