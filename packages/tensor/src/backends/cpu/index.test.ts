import { describe, expect, it } from 'vitest';
import { DTYPE_BYTES, type Storage } from '../../backend.js';
import { createCpuBackend } from './index.js';
import { seeded } from '../../testing/seeded.js';

describe('cpu backend wiring', () => {
  it('out-of-place kernels leave their inputs untouched and return fresh storages counted in bytesAllocated', async () => {
    const b = createCpuBackend();
    const make = (dtype: 'f32' | 'i32', values: number[]): Storage => {
      const s = b.alloc(dtype, values.length);
      b.write(s, dtype === 'f32' ? new Float32Array(values) : new Int32Array(values));
      return s;
    };
    const x = make('f32', seeded(1, 24));
    const y = make('f32', seeded(2, 24));
    const ids = make('i32', [1, 0, 1]);
    const labels = make('i32', [0, 3, -100, 2, 1, 2]);
    const inputs = [x, y, ids, labels];
    const before = await Promise.all(inputs.map((s) => b.read(s)));
    const bytesBefore = b.bytesAllocated();
    const attn = { batch: 1, heads: 2, seqQ: 3, seqK: 3, headDim: 4, scale: 0.5 };
    const { o, lse } = b.attention(x, y, x, attn);
    const outputs: Storage[] = [
      b.cast(x, 'f64'),
      b.stridedCopy(x, { shape: [4, 6], strides: [1, 4], offset: 0 }),
      b.unary('exp', x),
      b.binary('add', x, [4, 6], y, [4, 6], [4, 6]),
      b.reduce('sum', x, 4, 6, 1),
      b.matmul(x, y, { batch: 1, m: 4, n: 4, k: 6, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 }),
      b.gather(x, ids, 2, 2, 6),
      b.scatterAdd(b.gather(x, ids, 2, 2, 6), ids, 2, 2, 6),
      b.softmax(x, 4, 6),
      b.logSoftmaxBackward(b.logSoftmax(x, 4, 6), y, 4, 6),
      ...Object.values(b.rmsNorm(x, 4, 6, 1e-5)),
      b.swigluBackward(x, make('f32', seeded(3, 12)), 4, 3),
      b.rope(x, make('f32', seeded(4, 12)), make('f32', seeded(5, 12)), 1, 2, 3, 4, true),
      o,
      lse,
      ...Object.values(b.attentionBackward(x, y, x, o, lse, y, attn)),
      b.crossEntropy(x, labels, 6, 4, -100, 'stablemax'),
      b.crossEntropyBackward(x, labels, make('f32', seeded(6, 6)), 6, 4, -100, 'softmax'),
    ];
    const after = await Promise.all(inputs.map((s) => b.read(s)));
    expect(after).toEqual(before);
    expect(new Set(outputs).size).toBe(outputs.length);
    expect(outputs.some((s) => inputs.includes(s))).toBe(false);
    expect(b.bytesAllocated()).toBeGreaterThan(bytesBefore);
    const live = b.bytesAllocated();
    const outputBytes = outputs.reduce((acc, s) => acc + s.size * DTYPE_BYTES[s.dtype], 0);
    for (const s of outputs) b.free(s);
    expect(b.bytesAllocated()).toBe(live - outputBytes);
  });
});

describe('cpu array pool', () => {
  it('hands a freed array to the next output of its size zero-filled, never to two live storages', async () => {
    const b = createCpuBackend();
    const rows = 64;
    const cols = 32; // 8 KiB in f32: large enough to be pooled
    const x = b.alloc('f32', rows * cols);
    b.write(x, new Float32Array(seeded(1, rows * cols)));
    // Fill the pool with arrays full of non-zero values.
    for (let i = 0; i < 3; i++) b.free(b.unary('exp', x));
    // Every row but the first is ignored, so the backward kernel writes only row 0: the rest must read 0.
    const labels = b.alloc('i32', rows);
    b.write(
      labels,
      Int32Array.from({ length: rows }, (_, r) => (r === 0 ? 1 : -100)),
    );
    const dLoss = b.fill('f32', rows, 1);
    const g = b.crossEntropyBackward(x, labels, dLoss, rows, cols, -100, 'softmax');
    const other = b.unary('neg', x);
    const values = await b.read(g);
    expect(values.subarray(cols).every((v) => v === 0)).toBe(true);
    expect(values.subarray(0, cols).some((v) => v !== 0)).toBe(true);
    // g and `other` hold different arrays: writing one leaves the other alone.
    const before = await b.read(other);
    b.write(g, new Float32Array(rows * cols).fill(7));
    expect(await b.read(other)).toEqual(before);
  });
});
