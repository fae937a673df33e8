/**
 * packedAttention on WebGPU: one dispatch splits q, k and v out of the fused projection into the
 * padded head-major rows of the fused attention kernels (RoPE on q and k on the way), attention.ts
 * runs its kernels on them, and one dispatch merges the result back to token-major rows (heads.ts).
 * The backward splits again (q, k, v, and o and dO, which attention's stats pass reads head-major)
 * and merges dq, dk and dv through RoPE's adjoint into d qkv in one dispatch.
 */
import { selfAttentionParams, type PackedAttentionParams, type RopeTables, type Storage } from '../../../backend.js';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { attentionBackwardOnPadded, attentionOnPadded } from './attention.js';
import { mergeHeads, mergeQkv, splitHeads, splitQkv } from './heads.js';

export function packedAttention(engine: WebGpuEngine, qkv: Storage, p: PackedAttentionParams, rope?: RopeTables): { o: GpuStorage; lse: GpuStorage } {
  const [q, k, v] = splitQkv(engine, qkv, p, rope);
  const heads = attentionOnPadded(engine, q, k, v, selfAttentionParams(p));
  const o = mergeHeads(engine, heads.o, p);
  for (const s of [q, k, v, heads.o]) engine.release(s);
  return { o, lse: heads.lse };
}

export function packedAttentionBackward(
  engine: WebGpuEngine,
  qkv: Storage,
  o: Storage,
  lse: Storage,
  dO: Storage,
  p: PackedAttentionParams,
  rope?: RopeTables,
): GpuStorage {
  const [q, k, v] = splitQkv(engine, qkv, p, rope);
  const [headsO, headsDO] = [splitHeads(engine, o, p), splitHeads(engine, dO, p)];
  const { dq, dk, dv } = attentionBackwardOnPadded(engine, q, k, v, headsO, lse, headsDO, selfAttentionParams(p));
  const dqkv = mergeQkv(engine, [dq, dk, dv], p, rope);
  for (const s of [q, k, v, headsO, headsDO, dq, dk, dv]) engine.release(s);
  return dqkv;
}
