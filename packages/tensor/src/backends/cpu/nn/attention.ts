/**
 * Non-causal scaled dot-product attention on [batch, heads, seq, headDim], one head at a time on
 * the gemm core, with the score matrix materialised in f64. The backward pass recomputes the
 * probabilities from the saved log-sum-exp. A query row whose scores are all -Infinity (fully
 * masked) attends to nothing: its output and gradients are 0 and its lse is -Infinity.
 */
import type { AttentionParams, Storage } from '../../../backend.js';
import { gemm } from '../gemm.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, type FloatArray } from '../storage.js';
import { rowMax } from './rows.js';

interface Operands {
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

/** scores[i, j] = scale * q_i . k_j + mask[i, j] for one head. */
function headScores(o: Operands, p: AttentionParams, head: number, scores: Float64Array): void {
  const { seqQ, seqK, headDim: d, scale } = p;
  gemm(
    { data: o.q, offset: head * seqQ * d, rowStride: d, colStride: 1 },
    { data: o.k, offset: head * seqK * d, rowStride: 1, colStride: d },
    scores,
    0,
    seqQ,
    seqK,
    d,
  );
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i] * scale + (o.mask ? o.mask[i] : 0);
}

/** In place: one row of scores -> probabilities exp(score - lse), 0 on a fully masked row. */
function rowProbabilities(scores: Float64Array, off: number, len: number, lse: number): void {
  for (let j = off; j < off + len; j++) scores[j] = lse === -Infinity ? 0 : Math.exp(scores[j] - lse);
}

/** In place: scores -> probabilities per row from each row's saved lse. */
function probabilities(scores: Float64Array, lse: ArrayLike<number>, lseOffset: number, seqQ: number, seqK: number): void {
  for (let i = 0; i < seqQ; i++) rowProbabilities(scores, i * seqK, seqK, lse[lseOffset + i]);
}

/** In place: scores -> probabilities per row with one exp per score, each row's lse into `lse`. */
function softmaxRows(scores: Float64Array, lse: Float64Array, seqQ: number, seqK: number): void {
  for (let i = 0; i < seqQ; i++) {
    const off = i * seqK;
    const max = rowMax(scores, off, seqK);
    if (!Number.isFinite(max)) {
      // Fully masked (-Infinity), or an infinite or NaN score: the lse is the maximum itself.
      lse[i] = max;
      rowProbabilities(scores, off, seqK, max);
      continue;
    }
    let sum = 0;
    for (let j = off; j < off + seqK; j++) {
      const e = Math.exp(scores[j] - max);
      scores[j] = e;
      sum += e;
    }
    lse[i] = max + Math.log(sum);
    for (let j = off; j < off + seqK; j++) scores[j] /= sum;
  }
}

export function attention(q: Storage, k: Storage, v: Storage, p: AttentionParams, mask?: Storage): { o: FloatArray; lse: FloatArray } {
  const ops = operands('attention', p, q, k, v, mask);
  const { batch, heads, seqQ, seqK, headDim: d } = p;
  const o = floatLike(ops.q, batch * heads * seqQ * d);
  const lse = floatLike(ops.q, batch * heads * seqQ);
  const scores = new Float64Array(seqQ * seqK);
  const out = new Float64Array(seqQ * d);
  const rowLse = new Float64Array(seqQ);
  for (let h = 0; h < batch * heads; h++) {
    headScores(ops, p, h, scores);
    softmaxRows(scores, rowLse, seqQ, seqK);
    lse.set(rowLse, h * seqQ);
    gemm({ data: scores, offset: 0, rowStride: seqK, colStride: 1 }, { data: ops.v, offset: h * seqK * d, rowStride: d, colStride: 1 }, out, 0, seqQ, d, seqK);
    o.set(out, h * seqQ * d);
  }
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
  const { batch, heads, seqQ, seqK, headDim: d, scale } = p;
  const bh = batch * heads;
  const os = floatOperand(kernel, 'o', o, bh * seqQ * d);
  const lses = floatOperand(kernel, 'lse', lse, bh * seqQ);
  const dOs = floatOperand(kernel, 'dO', dO, bh * seqQ * d);
  expectSameDtype(kernel, { q, o, lse, dO });
  const dq = floatLike(ops.q, ops.q.length);
  const dk = floatLike(ops.q, ops.k.length);
  const dv = floatLike(ops.q, ops.v.length);
  const probs = new Float64Array(seqQ * seqK);
  const dS = new Float64Array(seqQ * seqK);
  const qGrad = new Float64Array(seqQ * d);
  const kvGrad = new Float64Array(seqK * d);
  for (let h = 0; h < bh; h++) {
    const qOff = h * seqQ * d;
    const kOff = h * seqK * d;
    headScores(ops, p, h, probs);
    probabilities(probs, lses, h * seqQ, seqQ, seqK);
    // dV = P^T dO
    gemm({ data: probs, offset: 0, rowStride: 1, colStride: seqK }, { data: dOs, offset: qOff, rowStride: d, colStride: 1 }, kvGrad, 0, seqK, d, seqQ);
    dv.set(kvGrad, kOff);
    // dP = dO V^T, then dS = P * (dP - D) with D_i = dO_i . O_i
    gemm({ data: dOs, offset: qOff, rowStride: d, colStride: 1 }, { data: ops.v, offset: kOff, rowStride: 1, colStride: d }, dS, 0, seqQ, seqK, d);
    for (let i = 0; i < seqQ; i++) {
      let D = 0;
      for (let c = 0; c < d; c++) D += dOs[qOff + i * d + c] * os[qOff + i * d + c];
      for (let j = i * seqK; j < (i + 1) * seqK; j++) dS[j] = probs[j] * (dS[j] - D) * scale;
    }
    // dQ = scale * dS K, dK = scale * dS^T Q (scale already folded into dS)
    gemm({ data: dS, offset: 0, rowStride: seqK, colStride: 1 }, { data: ops.k, offset: kOff, rowStride: d, colStride: 1 }, qGrad, 0, seqQ, d, seqK);
    dq.set(qGrad, qOff);
    gemm({ data: dS, offset: 0, rowStride: 1, colStride: seqK }, { data: ops.q, offset: qOff, rowStride: d, colStride: 1 }, kvGrad, 0, seqK, d, seqQ);
    dk.set(kvGrad, kOff);
  }
  return { dq, dk, dv };
}
