/**
 * Non-causal scaled dot-product attention on [batch, heads, seq, headDim], one head at a time: the
 * products on the gemm core (writing each head's rows of the outputs in place), the scaling,
 * masking and softmax fused into one pass over the score rows, in the inputs' precision (f32
 * scores and exp32 for f32 tensors, f64 and Math.exp for f64; f32 score rows take the WebAssembly
 * SIMD softmax of wasm/row-kernels.ts when SIMD is on). The backward pass recomputes the
 * probabilities from the saved log-sum-exp. A query row whose scores are all -Infinity (fully
 * masked) attends to nothing: its output and gradients are 0 and its lse is -Infinity.
 */
import type { AttentionParams, Storage } from '../../../backend.js';
import { expFor } from '../exp.js';
import { gemm } from '../gemm.js';
import { cpuSimdEnabled } from '../wasm/features.js';
import { rowKernels } from '../wasm/row-kernels.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, recycle, type FloatArray } from '../storage.js';

export interface Operands {
  q: FloatArray;
  k: FloatArray;
  v: FloatArray;
  mask: FloatArray | null;
}

function operands(kernel: string, p: AttentionParams, q: Storage, k: Storage, v: Storage, mask: Storage | undefined): Operands {
  const { batch, heads, seqQ, seqK, headDim } = p;
  for (const [name, val] of Object.entries({ batch, heads, seqQ, seqK, headDim })) expectNonNegativeInt(kernel, name, val);
  const bh = batch * heads;
  expectSameDtype(kernel, { q, k, v });
  return {
    q: floatOperand(kernel, 'q', q, bh * seqQ * headDim),
    k: floatOperand(kernel, 'k', k, bh * seqK * headDim),
    v: floatOperand(kernel, 'v', v, bh * seqK * headDim),
    mask: mask ? floatOperand(kernel, 'mask', mask, seqQ * seqK) : null,
  };
}

/** scores[i, j] = q_i . k_j for one head (scaled and masked by the softmax that follows). */
function headScores(o: Operands, p: AttentionParams, head: number, scores: FloatArray): void {
  const { seqQ, seqK, headDim: d } = p;
  gemm(
    { data: o.q, offset: head * seqQ * d, rowStride: d, colStride: 1 },
    { data: o.k, offset: head * seqK * d, rowStride: 1, colStride: d },
    scores,
    0,
    seqQ,
    seqK,
    d,
  );
}

/**
 * In place, one row at a time: raw scores -> probabilities softmax(scale * s + mask), each row's
 * lse (in scaled-score units) written to lse[lseOffset + i]. With `saved` the lse is read from
 * there instead (the backward pass), which needs one exp per score and no sum.
 */
function softmaxRows(scores: FloatArray, p: AttentionParams, mask: FloatArray | null, lse: FloatArray, lseOffset: number, saved: boolean): void {
  const { seqQ, seqK, scale } = p;
  if (scores instanceof Float32Array && lse instanceof Float32Array && (mask === null || mask instanceof Float32Array) && cpuSimdEnabled()) {
    rowKernels().softmaxRows(scores, mask, seqQ, seqK, scale, lse, lseOffset, saved);
    return;
  }
  const exp = expFor(scores);
  for (let i = 0, off = 0; i < seqQ; i++, off += seqK) {
    const end = off + seqK;
    let max = -Infinity;
    if (mask) {
      for (let j = off; j < end; j++) {
        const s = scores[j]! * scale + mask[j]!;
        scores[j] = s;
        if (s > max || s !== s) max = s;
      }
    } else {
      for (let j = off; j < end; j++) {
        const s = scores[j]! * scale;
        scores[j] = s;
        if (s > max || s !== s) max = s;
      }
    }
    if (saved) max = lse[lseOffset + i]!;
    else if (!Number.isFinite(max)) lse[lseOffset + i] = max; // fully masked (-Infinity), or an infinite or NaN score
    if (!Number.isFinite(max)) {
      // The lse is the maximum itself; a fully masked row attends to nothing.
      for (let j = off; j < end; j++) scores[j] = max === -Infinity ? 0 : exp(scores[j]! - max);
      continue;
    }
    let sum = 0;
    for (let j = off; j < end; j++) {
      const e = exp(scores[j]! - max);
      scores[j] = e;
      sum += e;
    }
    if (saved) continue;
    lse[lseOffset + i] = max + Math.log(sum);
    const inv = 1 / sum;
    for (let j = off; j < end; j++) scores[j]! *= inv;
  }
}

/** f32 operands (and mask), non-empty, SIMD on: the fused WebAssembly forward. */
function useSimdAttention(o: Operands, p: AttentionParams): boolean {
  const f32 = o.q instanceof Float32Array && o.k instanceof Float32Array && o.v instanceof Float32Array && (o.mask === null || o.mask instanceof Float32Array);
  return f32 && p.batch * p.heads * p.seqQ * p.seqK * p.headDim > 0 && cpuSimdEnabled();
}

export function attention(q: Storage, k: Storage, v: Storage, p: AttentionParams, mask?: Storage): { o: FloatArray; lse: FloatArray } {
  return attentionOf(operands('attention', p, q, k, v, mask), p);
}

/** The forward on checked operands (packed-attention.ts calls it on its unpacked heads). */
export function attentionOf(ops: Operands, p: AttentionParams): { o: FloatArray; lse: FloatArray } {
  const { batch, heads, seqQ, seqK, headDim: d } = p;
  const o = floatLike(ops.q, batch * heads * seqQ * d);
  const lse = floatLike(ops.q, batch * heads * seqQ);
  if (useSimdAttention(ops, p)) {
    rowKernels().attentionForward(
      ops.q as Float32Array,
      ops.k as Float32Array,
      ops.v as Float32Array,
      ops.mask as Float32Array | null,
      p,
      o as Float32Array,
      lse as Float32Array,
    );
    return { o, lse };
  }
  const probs = floatLike(ops.q, seqQ * seqK);
  for (let h = 0; h < batch * heads; h++) {
    headScores(ops, p, h, probs);
    softmaxRows(probs, p, ops.mask, lse, h * seqQ, false);
    // O = P V, straight into this head's rows of o.
    gemm(
      { data: probs, offset: 0, rowStride: seqK, colStride: 1 },
      { data: ops.v, offset: h * seqK * d, rowStride: d, colStride: 1 },
      o,
      h * seqQ * d,
      seqQ,
      d,
      seqK,
    );
  }
  recycle(probs);
  return { o, lse };
}

export function attentionBackward(
  q: Storage,
  k: Storage,
  v: Storage,
  o: Storage,
  lse: Storage,
  dO: Storage,
  p: AttentionParams,
  mask?: Storage,
): { dq: FloatArray; dk: FloatArray; dv: FloatArray } {
  const kernel = 'attentionBackward';
  const ops = operands(kernel, p, q, k, v, mask);
  const bh = p.batch * p.heads;
  const os = floatOperand(kernel, 'o', o, bh * p.seqQ * p.headDim);
  const lses = floatOperand(kernel, 'lse', lse, bh * p.seqQ);
  const dOs = floatOperand(kernel, 'dO', dO, bh * p.seqQ * p.headDim);
  expectSameDtype(kernel, { q, o, lse, dO });
  return attentionBackwardOf(ops, os, lses, dOs, p);
}

/** The backward on checked operands (packed-attention.ts calls it on its unpacked heads). */
export function attentionBackwardOf(
  ops: Operands,
  os: FloatArray,
  lses: FloatArray,
  dOs: FloatArray,
  p: AttentionParams,
): { dq: FloatArray; dk: FloatArray; dv: FloatArray } {
  const { batch, heads, seqQ, seqK, headDim: d, scale } = p;
  const bh = batch * heads;
  const dq = floatLike(ops.q, ops.q.length);
  const dk = floatLike(ops.q, ops.k.length);
  const dv = floatLike(ops.q, ops.v.length);
  if (useSimdAttention(ops, p) && os instanceof Float32Array && lses instanceof Float32Array && dOs instanceof Float32Array) {
    const inputs = {
      q: ops.q as Float32Array,
      k: ops.k as Float32Array,
      v: ops.v as Float32Array,
      o: os,
      lse: lses,
      dO: dOs,
      mask: ops.mask as Float32Array | null,
    };
    rowKernels().attentionBackward(inputs, p, { dq: dq as Float32Array, dk: dk as Float32Array, dv: dv as Float32Array });
    return { dq, dk, dv };
  }
  const probs = floatLike(ops.q, seqQ * seqK);
  const dS = floatLike(ops.q, seqQ * seqK);
  for (let h = 0; h < bh; h++) {
    const qOff = h * seqQ * d;
    const kOff = h * seqK * d;
    headScores(ops, p, h, probs);
    softmaxRows(probs, p, ops.mask, lses, h * seqQ, true);
    // dV = P^T dO
    gemm({ data: probs, offset: 0, rowStride: 1, colStride: seqK }, { data: dOs, offset: qOff, rowStride: d, colStride: 1 }, dv, kOff, seqK, d, seqQ);
    // dP = dO V^T, then dS = scale * P * (dP - D) with D_i = dO_i . O_i
    gemm({ data: dOs, offset: qOff, rowStride: d, colStride: 1 }, { data: ops.v, offset: kOff, rowStride: 1, colStride: d }, dS, 0, seqQ, seqK, d);
    for (let i = 0, row = qOff, off = 0; i < seqQ; i++, row += d, off += seqK) {
      let D = 0;
      for (let c = row; c < row + d; c++) D += dOs[c]! * os[c]!;
      for (let j = off; j < off + seqK; j++) dS[j] = probs[j]! * (dS[j]! - D) * scale;
    }
    // dQ = dS K, dK = dS^T Q (scale already folded into dS)
    gemm({ data: dS, offset: 0, rowStride: seqK, colStride: 1 }, { data: ops.k, offset: kOff, rowStride: d, colStride: 1 }, dq, qOff, seqQ, d, seqK);
    gemm({ data: dS, offset: 0, rowStride: 1, colStride: seqK }, { data: ops.q, offset: qOff, rowStride: d, colStride: 1 }, dk, kOff, seqK, d, seqQ);
  }
  recycle(probs);
  recycle(dS);
  return { dq, dk, dv };
}
