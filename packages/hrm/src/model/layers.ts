/**
 * One HRM transformer block and a reasoning module (spec 2.2-2.5): post-norm, RMSNorm without
 * weights, non-causal attention with RoPE on q and k, SwiGLU with the gate rows first.
 */
import { type Tensor, add, nn, permute, reshape, slice } from '@hrm-webgpu/tensor';

export interface BlockWeights {
  /** [3*hidden, hidden], rows Q then K then V. */
  qkv: Tensor;
  o: Tensor;
  /** [2*inter, hidden], gate rows first. */
  gateUp: Tensor;
  down: Tensor;
}

export interface BlockContext {
  numHeads: number;
  eps: number;
  /** cos/sin [S, head_dim]; null with learned position embeddings. */
  rope: { cos: Tensor; sin: Tensor } | null;
}

export function selfAttention(h: Tensor, w: BlockWeights, ctx: BlockContext): Tensor {
  const [batch, seq, hidden] = h.shape as [number, number, number];
  const headDim = hidden / ctx.numHeads;
  // [B, S, 3*heads, D] -> [B, 3*heads, S, D]: heads 0..n-1 are Q, n..2n-1 K, 2n..3n-1 V.
  const qkv = permute(reshape(nn.linear(h, w.qkv), [batch, seq, 3 * ctx.numHeads, headDim]), [0, 2, 1, 3]);
  let q = slice(qkv, 1, 0, ctx.numHeads);
  let k = slice(qkv, 1, ctx.numHeads, 2 * ctx.numHeads);
  const v = slice(qkv, 1, 2 * ctx.numHeads, 3 * ctx.numHeads);
  if (ctx.rope) {
    q = nn.rope(q, ctx.rope.cos, ctx.rope.sin);
    k = nn.rope(k, ctx.rope.cos, ctx.rope.sin);
  }
  const attended = nn.attention(q, k, v, { scale: 1 / Math.sqrt(headDim) });
  return nn.linear(reshape(permute(attended, [0, 2, 1, 3]), [batch, seq, hidden]), w.o);
}

export function swigluMlp(h: Tensor, w: BlockWeights): Tensor {
  return nn.linear(nn.swiglu(nn.linear(h, w.gateUp)), w.down);
}

export function block(h: Tensor, w: BlockWeights, ctx: BlockContext): Tensor {
  const afterAttention = nn.rmsNorm(add(h, selfAttention(h, w, ctx)), ctx.eps);
  return nn.rmsNorm(add(afterAttention, swigluMlp(afterAttention, w)), ctx.eps);
}

/** Module(z, injection) = Blocks(z + injection): the injection is added once, before the first block. */
export function reasoningModule(z: Tensor, injection: Tensor, layers: readonly BlockWeights[], ctx: BlockContext): Tensor {
  let h = add(z, injection);
  for (const w of layers) h = block(h, w, ctx);
  return h;
}
