/**
 * Self-attention from a fused projection qkv [batch, seq, 3 * heads * headDim]: the heads are
 * gathered into the [batch * heads, seq, headDim] layout the attention kernels take (q and k
 * through RoPE on the way), the attention of attention.ts runs on them, and the output is written
 * back with the heads side by side per token. One pass over qkv replaces the transpose, the three
 * slices and the two RoPE passes a composed HRM block pays, and the result has the same bits.
 */
import { selfAttentionParams, type PackedAttentionParams, type RopeTables, type Storage } from '../../../backend.js';
import { expectNonNegativeInt, expectSameDtype, floatLike, floatOperand, recycle, type FloatArray } from '../storage.js';
import { cpuSimdEnabled } from '../wasm/features.js';
import { rowKernels } from '../wasm/row-kernels.js';
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

/** f32 operands, non-empty, SIMD on: the WebAssembly kernel moves the heads and attends in its own memory. */
function simdTables(qkv: FloatArray, tables: Tables | null, p: PackedAttentionParams): { cos: Float32Array; sin: Float32Array } | null | false {
  const f32 = qkv instanceof Float32Array && (!tables || (tables.cos instanceof Float32Array && tables.sin instanceof Float32Array));
  if (!f32 || qkv.length === 0 || p.seq === 0 || !cpuSimdEnabled()) return false;
  return tables as { cos: Float32Array; sin: Float32Array } | null;
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
  const [q, k, v] = [floatLike(qkv, size, 'uninitialized'), floatLike(qkv, size, 'uninitialized'), floatLike(qkv, size, 'uninitialized')];
  moveHeads(qkv, q, p, 3, 0, true, tables, false);
  moveHeads(qkv, k, p, 3, 1, true, tables, false);
  moveHeads(qkv, v, p, 3, 2, true, null, false);
  return { q, k, v };
}

function headMajor(tokens: FloatArray, p: PackedAttentionParams): FloatArray {
  const out = floatLike(tokens, tokens.length, 'uninitialized');
  moveHeads(tokens, out, p, 1, 0, true, null, false);
  return out;
}

function recycleAll(...arrays: FloatArray[]): void {
  for (const a of arrays) recycle(a);
}

export function packedAttention(qkvStorage: Storage, p: PackedAttentionParams, rope?: RopeTables): { o: FloatArray; lse: FloatArray } {
  const { qkv, tables } = checked('packedAttention', qkvStorage, p, rope);
  const simd = simdTables(qkv, tables, p);
  if (simd !== false) {
    const o = floatLike(qkv, p.batch * p.seq * p.heads * p.headDim, 'uninitialized') as Float32Array;
    const lse = floatLike(qkv, p.batch * p.heads * p.seq, 'uninitialized') as Float32Array;
    rowKernels().packedAttentionForward(qkv as Float32Array, simd, selfAttentionParams(p), o, lse);
    return { o, lse };
  }
  const heads = gatherQkv(qkv, p, tables);
  const { o: headsO, lse } = attentionOf({ ...heads, mask: null }, selfAttentionParams(p));
  const o = floatLike(qkv, headsO.length, 'uninitialized');
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
  const simd = simdTables(qkv, tables, p);
  if (simd !== false) {
    const dqkv = floatLike(qkv, qkv.length, 'uninitialized') as Float32Array;
    const inputs = { qkv: qkv as Float32Array, o: o as Float32Array, lse: lse as Float32Array, dO: dO as Float32Array };
    rowKernels().packedAttentionBackward(inputs, simd, selfAttentionParams(p), dqkv);
    return dqkv;
  }
  const heads = gatherQkv(qkv, p, tables);
  const [headsO, headsDO] = [headMajor(o, p), headMajor(dO, p)];
  const { dq, dk, dv } = attentionBackwardOf({ ...heads, mask: null }, headsO, lse, headsDO, selfAttentionParams(p));
  const dqkv = floatLike(qkv, qkv.length, 'uninitialized');
  moveHeads(dqkv, dq, p, 3, 0, false, tables, true);
  moveHeads(dqkv, dk, p, 3, 1, false, tables, true);
  moveHeads(dqkv, dv, p, 3, 2, false, null, true);
  recycleAll(heads.q, heads.k, heads.v, headsO, headsDO, dq, dk, dv);
  return dqkv;
}
