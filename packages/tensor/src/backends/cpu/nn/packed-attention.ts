/**
 * Self-attention from a fused projection qkv [batch, seq, 3 * heads * headDim]: the heads are
 * gathered into the [batch * heads, seq, headDim] layout the attention kernels take (q and k
 * through RoPE on the way), the attention of attention.ts runs on them, and the output is written
 * back with the heads side by side per token. One pass over qkv replaces the transpose, the three
 * slices and the two RoPE passes a composed HRM block pays, and the result has the same bits.
 */
import { selfAttentionParams, type PackedAttentionParams, type RopeTables, type Storage } from '../../../backend.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, recycle, type FloatArray } from '../storage.js';
import { attentionBackwardOf, attentionOf } from './attention.js';
import { rotateRow } from './rope.js';

interface Tables {
  cos: FloatArray;
  sin: FloatArray;
}

function checked(kernel: string, qkv: Storage, p: PackedAttentionParams, rope: RopeTables | undefined): { qkv: FloatArray; tables: Tables | null } {
  const { batch, seq, heads, headDim } = p;
  for (const [name, v] of Object.entries({ batch, seq, heads, headDim })) expectNonNegativeInt(kernel, name, v);
  const x = floatOperand(kernel, 'qkv', qkv, batch * seq * 3 * heads * headDim);
  if (!rope) return { qkv: x, tables: null };
  if (headDim % 2 !== 0) throw new Error(`cpu.${kernel}: RoPE needs an even headDim, found ${headDim}`);
  expectSameDtype(kernel, { qkv, cos: rope.cos, sin: rope.sin });
  return { qkv: x, tables: { cos: floatOperand(kernel, 'cos', rope.cos, seq * headDim), sin: floatOperand(kernel, 'sin', rope.sin, seq * headDim) } };
}

/**
 * Moves heads between the token-major layout [batch, seq, groups, heads, headDim] (`tokens`) and
 * the head-major [batch * heads, seq, headDim] (`heads`) for head group `group`, in the direction
 * `toHeads`, rotating each row by RoPE (or its adjoint) when `tables` is given.
 */
function moveHeads(
  tokens: FloatArray,
  heads: FloatArray,
  p: PackedAttentionParams,
  groups: number,
  group: number,
  toHeads: boolean,
  tables: Tables | null,
  adjoint: boolean,
): void {
  const { batch, seq, heads: h, headDim: d } = p;
  const tokenStride = groups * h * d;
  const [from, to] = toHeads ? [tokens, heads] : [heads, tokens];
  for (let b = 0, headAt = 0; b < batch; b++) {
    for (let head = 0; head < h; head++) {
      for (let t = 0, tokenAt = b * seq * tokenStride + (group * h + head) * d; t < seq; t++, tokenAt += tokenStride, headAt += d) {
        const fromAt = toHeads ? tokenAt : headAt;
        const toAt = toHeads ? headAt : tokenAt;
        if (tables) rotateRow(from, fromAt, to, toAt, tables.cos, tables.sin, t * d, d, adjoint);
        else for (let j = 0; j < d; j++) to[toAt + j] = from[fromAt + j]!;
      }
    }
  }
}

/** q (rotated), k (rotated) and v in the head-major layout. */
function gatherQkv(qkv: FloatArray, p: PackedAttentionParams, tables: Tables | null): { q: FloatArray; k: FloatArray; v: FloatArray } {
  const size = p.batch * p.heads * p.seq * p.headDim;
  const [q, k, v] = [floatLike(qkv, size), floatLike(qkv, size), floatLike(qkv, size)];
  moveHeads(qkv, q, p, 3, 0, true, tables, false);
  moveHeads(qkv, k, p, 3, 1, true, tables, false);
  moveHeads(qkv, v, p, 3, 2, true, null, false);
  return { q, k, v };
}

function headMajor(tokens: FloatArray, p: PackedAttentionParams): FloatArray {
  const out = floatLike(tokens, tokens.length);
  moveHeads(tokens, out, p, 1, 0, true, null, false);
  return out;
}

function recycleAll(...arrays: FloatArray[]): void {
  for (const a of arrays) recycle(a);
}

export function packedAttention(qkvStorage: Storage, p: PackedAttentionParams, rope?: RopeTables): { o: FloatArray; lse: FloatArray } {
  const { qkv, tables } = checked('packedAttention', qkvStorage, p, rope);
  const heads = gatherQkv(qkv, p, tables);
  const { o: headsO, lse } = attentionOf({ ...heads, mask: null }, selfAttentionParams(p));
  const o = floatLike(qkv, headsO.length);
  moveHeads(o, headsO, p, 1, 0, false, null, false);
  recycleAll(heads.q, heads.k, heads.v, headsO);
  return { o, lse };
}

export function packedAttentionBackward(
  qkvStorage: Storage,
  oStorage: Storage,
  lseStorage: Storage,
  dOStorage: Storage,
  p: PackedAttentionParams,
  rope?: RopeTables,
): FloatArray {
  const kernel = 'packedAttentionBackward';
  const { qkv, tables } = checked(kernel, qkvStorage, p, rope);
  const size = p.batch * p.heads * p.seq * p.headDim;
  const o = floatOperand(kernel, 'o', oStorage, size);
  const lse = floatOperand(kernel, 'lse', lseStorage, p.batch * p.heads * p.seq);
  const dO = floatOperand(kernel, 'dO', dOStorage, size);
  expectSameDtype(kernel, { qkv: qkvStorage, o: oStorage, lse: lseStorage, dO: dOStorage });
  const heads = gatherQkv(qkv, p, tables);
  const [headsO, headsDO] = [headMajor(o, p), headMajor(dO, p)];
  const { dq, dk, dv } = attentionBackwardOf({ ...heads, mask: null }, headsO, lse, headsDO, selfAttentionParams(p));
  const dqkv = floatLike(qkv, qkv.length);
  moveHeads(dqkv, dq, p, 3, 0, false, tables, true);
  moveHeads(dqkv, dk, p, 3, 1, false, tables, true);
  moveHeads(dqkv, dv, p, 3, 2, false, null, true);
  recycleAll(heads.q, heads.k, heads.v, headsO, headsDO, dq, dk, dv);
  return dqkv;
}
