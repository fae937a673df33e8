/**
 * Neural-network functions. The heavy ones (softmax, RMSNorm, RoPE, attention, SwiGLU, cross
 * entropy) map to one fused backend kernel forward and one backward (their rules are in
 * gradients/nn.ts); the rest compose ops.
 * Tensors saved for the backward pass live in the caller's tidy scope, so call backward() inside
 * the scope that ran the forward pass.
 */
import type { CrossEntropyKind, Storage } from '../backend.js';
import { formatShape, normalizeAxis, sameShape } from '../shape.js';
import { noGrad } from '../runtime.js';
import { record } from '../tape.js';
import type { Tensor } from '../tensor.js';
import { fromStorage } from './creation.js';
import { abs, add, cast, div, exp, log, maximum, mul, ne, neg, sub } from './elementwise.js';
import { linear } from './matmul.js';
import { transpose } from './movement.js';
import { mean, sum } from './reduce.js';

export { linear };

const rowsOf = (x: Tensor): [number, number] => {
  const cols = x.shape[x.rank - 1] ?? 1;
  return [cols === 0 ? 0 : x.size / cols, cols];
};

/** Applies a last-axis function along any axis by swapping that axis to the end and back. */
function alongAxis(x: Tensor, axis: number, fn: (t: Tensor) => Tensor): Tensor {
  const a = normalizeAxis(axis, x.rank, 'softmax');
  if (a === x.rank - 1) return fn(x);
  return transpose(fn(transpose(x, a, -1)), a, -1);
}

function lastAxisSoftmax(kind: 'softmax' | 'logSoftmax', x: Tensor): Tensor {
  const [rows, cols] = rowsOf(x);
  const b = x.backend;
  const out = fromStorage(b, kind === 'softmax' ? b.softmax(x.storage, rows, cols) : b.logSoftmax(x.storage, rows, cols), x.shape);
  return record(out, kind, [x], { rows, cols });
}

export const softmax = (x: Tensor, axis = -1): Tensor => alongAxis(x, axis, (t) => lastAxisSoftmax('softmax', t));
export const logSoftmax = (x: Tensor, axis = -1): Tensor => alongAxis(x, axis, (t) => lastAxisSoftmax('logSoftmax', t));

/** x * rsqrt(mean(x^2, last axis) + eps), with no learnable weight (HRM's RMSNorm). */
export function rmsNorm(x: Tensor, eps = 1e-5): Tensor {
  const [rows, cols] = rowsOf(x);
  const b = x.backend;
  const { y, invRms } = b.rmsNorm(x.storage, rows, cols, eps);
  const out = fromStorage(b, y, x.shape);
  return record(out, 'rmsNorm', [x], { rows, cols, invRms: fromStorage(b, invRms, [rows]) });
}

/** Rotate-half rotary embedding of x [batch, heads, seq, dim] with cos/sin tables [seq, dim]. */
export function rope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  if (x.rank !== 4) throw new Error(`rope: expected x [batch, heads, seq, dim], found ${formatShape(x.shape)}.`);
  const [batch, heads, seq, dim] = x.shape as [number, number, number, number];
  for (const [name, t] of [
    ['cos', cos],
    ['sin', sin],
  ] as const) {
    if (!sameShape(t.shape, [seq, dim])) throw new Error(`rope: ${name} must be [${seq}, ${dim}], found ${formatShape(t.shape)}.`);
  }
  if (dim % 2 !== 0) throw new Error(`rope: the head dimension must be even, found ${dim}.`);
  const b = x.backend;
  const out = fromStorage(b, b.rope(x.storage, cos.storage, sin.storage, batch, heads, seq, dim, false), x.shape);
  return record(out, 'rope', [x], { cos, sin });
}

export interface AttentionOptions {
  /** Multiplies the scores; 1/sqrt(headDim) by default. */
  scale?: number;
  /** Added to the scaled scores, [seqQ, seqK] (use -Infinity to block a pair). */
  mask?: Tensor;
}

/** Non-causal scaled dot-product attention on q [B, H, Sq, D], k and v [B, H, Sk, D]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(
      `attention: q, k, v must be [batch, heads, seq, headDim], found ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}.`,
    );
  }
  const [batch, heads, seqQ, headDim] = q.shape as [number, number, number, number];
  const seqK = k.shape[2]!;
  if (!sameShape(k.shape, [batch, heads, seqK, headDim]) || !sameShape(v.shape, k.shape)) {
    throw new Error(`attention: k and v must be [${batch}, ${heads}, seqK, ${headDim}], found ${formatShape(k.shape)} and ${formatShape(v.shape)}.`);
  }
  if (opts.mask && !sameShape(opts.mask.shape, [seqQ, seqK])) {
    throw new Error(`attention: mask must be [${seqQ}, ${seqK}], found ${formatShape(opts.mask.shape)}.`);
  }
  const p = { batch, heads, seqQ, seqK, headDim, scale: opts.scale ?? 1 / Math.sqrt(headDim) };
  const b = q.backend;
  const mask: Storage | undefined = opts.mask?.storage;
  const { o, lse } = b.attention(q.storage, k.storage, v.storage, p, mask);
  const out = fromStorage(b, o, q.shape);
  const savedLse = fromStorage(b, lse, [batch, heads, seqQ]);
  return record(out, 'attention', [q, k, v], { p, lse: savedLse, mask });
}

export interface PackedAttentionOptions {
  /** Heads of q (and of k and v); the projection's width is 3 * heads * headDim. */
  heads: number;
  /** Multiplies the scores; 1/sqrt(headDim) by default. */
  scale?: number;
  /** Rotate-half RoPE tables [seq, headDim] (see `rope`), applied to q and k. */
  rope?: { cos: Tensor; sin: Tensor };
}

/**
 * Non-causal self-attention straight from a fused projection qkv [B, S, 3 * heads * headDim] (per
 * token the q heads, then the k heads, then the v heads, as HRM's qkv_proj lays them out), with
 * RoPE on q and k when given; returns [B, S, heads * headDim], the heads side by side per token,
 * ready for the output projection. The same values as splitting the heads out (reshape, permute,
 * slice), `rope` on q and k, `attention`, and merging the heads back, in one kernel forward and
 * one backward, without materialising those layouts.
 */
export function packedAttention(qkv: Tensor, opts: PackedAttentionOptions): Tensor {
  const { heads } = opts;
  const width = qkv.shape[2] ?? 0;
  if (qkv.rank !== 3 || !Number.isInteger(heads) || heads < 1 || width % (3 * heads) !== 0) {
    throw new Error(`packedAttention: qkv must be [batch, seq, 3 * heads * headDim] with heads = ${heads}, found ${formatShape(qkv.shape)}.`);
  }
  const [batch, seq] = qkv.shape as [number, number, number];
  const headDim = width / (3 * heads);
  for (const [name, t] of Object.entries(opts.rope ?? {})) {
    if (!sameShape(t.shape, [seq, headDim])) throw new Error(`packedAttention: rope.${name} must be [${seq}, ${headDim}], found ${formatShape(t.shape)}.`);
  }
  if (opts.rope && headDim % 2 !== 0) throw new Error(`packedAttention: RoPE needs an even head dimension, found ${headDim}.`);
  const p = { batch, seq, heads, headDim, scale: opts.scale ?? 1 / Math.sqrt(headDim) };
  const b = qkv.backend;
  const tables = opts.rope && { cos: opts.rope.cos.storage, sin: opts.rope.sin.storage };
  const { o, lse } = b.packedAttention(qkv.storage, p, tables);
  const out = fromStorage(b, o, [batch, seq, heads * headDim]);
  return record(out, 'packedAttention', [qkv], { p, lse: fromStorage(b, lse, [batch, heads, seq]), rope: opts.rope });
}

/** SwiGLU on the fused projection [..., 2*inter] (gate first): silu(gate) * up, [..., inter]. */
export function swiglu(gateUp: Tensor): Tensor {
  const [rows, cols] = rowsOf(gateUp);
  if (cols % 2 !== 0) throw new Error(`swiglu: the last axis must be even (gate and up halves), found ${cols}.`);
  const inter = cols / 2;
  const b = gateUp.backend;
  const out = fromStorage(b, b.swiglu(gateUp.storage, rows, inter), [...gateUp.shape.slice(0, -1), inter]);
  return record(out, 'swiglu', [gateUp], { rows, inter });
}

export type Reduction = 'none' | 'mean' | 'sum';

export interface CrossEntropyOptions {
  /** Label value whose positions contribute no loss (default -100, as in PyTorch). */
  ignoreIndex?: number;
  /** 'mean' averages over non-ignored positions (default), 'sum' adds, 'none' keeps labels' shape. */
  reduction?: Reduction;
}

function crossEntropyOf(kind: CrossEntropyKind, logits: Tensor, labels: Tensor, opts: CrossEntropyOptions): Tensor {
  if (labels.dtype !== 'i32') throw new Error(`${kind} cross entropy: labels must be i32, found ${labels.dtype}.`);
  if (!sameShape(logits.shape.slice(0, -1), labels.shape)) {
    throw new Error(
      `${kind} cross entropy: logits ${formatShape(logits.shape)} need labels ${formatShape(logits.shape.slice(0, -1))}, found ${formatShape(labels.shape)}.`,
    );
  }
  const ignore = opts.ignoreIndex ?? -100;
  const [rows, cols] = rowsOf(logits);
  const b = logits.backend;
  const perRow = fromStorage(b, b.crossEntropy(logits.storage, labels.storage, rows, cols, ignore, kind), labels.shape);
  record(perRow, `${kind}CrossEntropy` as const, [logits], { labels, ignoreIndex: ignore, rows, cols, kind });
  switch (opts.reduction ?? 'mean') {
    case 'none':
      return perRow;
    case 'sum':
      return sum(perRow);
    case 'mean':
      return div(sum(perRow), maximum(sum(cast(ne(labels, ignore), logits.dtype)), 1));
  }
}

export const crossEntropy = (logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): Tensor => crossEntropyOf('softmax', logits, labels, opts);

/** Cross entropy under stablemax, s(x) = x + 1 (x >= 0), 1 / (1 - x) (x < 0) (HRM spec section 5). */
export const stablemaxCrossEntropy = (logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): Tensor =>
  crossEntropyOf('stablemax', logits, labels, opts);

/** Binary cross entropy on logits, max(x, 0) - x t + log(1 + exp(-|x|)), stable for large |x|. */
export function bceWithLogits(logits: Tensor, targets: Tensor | number, opts: { reduction?: Reduction } = {}): Tensor {
  // Targets are constants; the gradient is the exact sigmoid(x) - t, also at x = 0 where the
  // composed max/abs form has a kink.
  const forward = noGrad(() => add(sub(maximum(logits, 0), mul(logits, targets)), log(add(exp(neg(abs(logits))), 1))));
  const loss = record(forward, 'bceWithLogits', [logits], { targets });
  switch (opts.reduction ?? 'mean') {
    case 'none':
      return loss;
    case 'sum':
      return sum(loss);
    case 'mean':
      return mean(loss);
  }
}
