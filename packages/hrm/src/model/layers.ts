/**
 * One HRM transformer block and a reasoning module (spec 2.2-2.5): post-norm, RMSNorm without
 * weights, non-causal attention with RoPE on q and k, SwiGLU with the gate rows first.
 */
import { type Tensor, add, nn } from '@hrm-webgpu/tensor';

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
  const headDim = h.shape[2]! / ctx.numHeads;
  // qkv_proj's output [B, S, 3*heads*D] (Q heads, then K, then V) goes to the fused kernel as it is.
  const attended = nn.packedAttention(nn.linear(h, w.qkv), { heads: ctx.numHeads, scale: 1 / Math.sqrt(headDim), ...(ctx.rope ? { rope: ctx.rope } : {}) });
  return nn.linear(attended, w.o);
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
