/** Batched matmul with transposes and broadcast batch strides, on the gemm core (gemm.ts). */
import type { MatmulParams, Storage } from '../../backend.js';
import { gemm, type MatrixView } from './gemm.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, cpuStorage, expectDtype, type FloatArray } from './storage.js';

/** Row/column strides of a stored matrix of logical shape [rows, cols], stored transposed when `trans`. */
export function matrixStrides(rows: number, cols: number, trans: boolean): { rowStride: number; colStride: number } {
  return trans ? { rowStride: 1, colStride: rows } : { rowStride: cols, colStride: 1 };
}

function batchedOperand(name: string, s: Storage, batch: number, stride: number, matrixSize: number): FloatArray {
  const st = cpuStorage(s, 'matmul', name);
  expectDtype('matmul', name, st.dtype, ['f32', 'f64']);
  expectNonNegativeInt('matmul', `${name}BatchStride`, stride);
  const needed = batch === 0 ? 0 : (batch - 1) * stride + matrixSize;
  if (st.size < needed) {
    throw new Error(`cpu.matmul: ${name} needs at least ${needed} elements for this batch layout, found ${st.size}`);
  }
  return st.data as FloatArray;
}

export function matmul(a: Storage, b: Storage, p: MatmulParams): FloatArray {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = p;
  for (const [name, v] of Object.entries({ batch, m, n, k })) expectNonNegativeInt('matmul', name, v);
  expectSameDtype('matmul', { a, b });
  const x = batchedOperand('a', a, batch, aBatchStride, m * k);
  const y = batchedOperand('b', b, batch, bBatchStride, k * n);
  // gemm overwrites every element.
  const out = floatLike(x, batch * m * n, 'uninitialized');
  for (let i = 0; i < batch; i++) {
    const av: MatrixView = { data: x, offset: i * aBatchStride, ...matrixStrides(m, k, transA) };
    const bv: MatrixView = { data: y, offset: i * bBatchStride, ...matrixStrides(k, n, transB) };
    gemm(av, bv, out, i * m * n, m, n, k);
  }
  return out;
}
