/**
 * The f32x4 exponential the SIMD row kernels inline: Cody-Waite reduction by ln 2, the Cephes expf
 * polynomial (by Estrin's scheme), 2^k built in the exponent bits. About 2 ulp; exp(x) = 0 below
 * -86.6 (results under 2^-125 flush to zero, -Infinity included), +Infinity above ln(FLT_MAX),
 * NaN for NaN. The clamps use pmin/pmax (one instruction each; min/max's NaN rules cost several).
 */
import type { FunctionBuilder, Local } from './emitter.js';

type F = FunctionBuilder;
type V = Local<'v128'>;

const EXP_LO = -86.6;
const EXP_HI = 88.72283935546875;
const MAGIC = 12582912; // 1.5 * 2^23: adding it rounds an f32 to an integer held in the low mantissa bits
const MAGIC_BITS = 0x4b400000;
// Cephes expf: exp(r) = 1 + r + r^2 * P(r) on |r| <= ln(2) / 2.
const EXP_POLY = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** The 16 bytes of a v128 constant with `value` in every f32 lane. */
export function f32x4(value: number): Uint8Array {
  return new Uint8Array(new Float32Array([value, value, value, value]).buffer);
}

/**
 * The exponential's constants, emitted inline as v128.const: kept in locals they outnumber the
 * vector registers and V8 spills them inside the loops.
 */
export const EXP_CONSTANTS = {
  lo: f32x4(EXP_LO),
  hi: f32x4(EXP_HI),
  log2e: f32x4(Math.LOG2E),
  magic: f32x4(MAGIC),
  /** bits(magic) - 126 in every i32 lane: (bits(t) - that) << 23 is 2^(k - 1). */
  expBias: new Uint8Array(new Int32Array(4).fill(MAGIC_BITS - 126).buffer),
  ln2Hi: f32x4(0.693359375),
  ln2Lo: f32x4(-2.1219444e-4),
  poly: EXP_POLY.map(f32x4),
  one: f32x4(1),
  two: f32x4(2),
  inf: f32x4(Infinity),
  zero: f32x4(0),
};
type Constants = typeof EXP_CONSTANTS;

/** Scratch locals of the exponential. */
export interface ExpTemps {
  xc: V;
  t: V;
  r: V;
  p: V;
}

export function expTemps(f: F): ExpTemps {
  return { xc: f.local('v128'), t: f.local('v128'), r: f.local('v128'), p: f.local('v128') };
}

/** out = exp(x) lane-wise (x and out may be the same local). */
export function emitExp(f: F, c: Constants, tmp: ExpTemps, x: V, out: V): void {
  const { xc, t, r, p } = tmp;
  f.get(x).v128.const(c.lo).f32x4.pmax().v128.const(c.hi).f32x4.pmin().set(xc); // NaN stays NaN
  f.get(xc).v128.const(c.log2e).f32x4.mul().v128.const(c.magic).f32x4.add().set(t);
  // r = xc - k ln 2 in two steps, k = t - magic.
  f.get(t).v128.const(c.magic).f32x4.sub().set(p);
  f.get(xc).get(p).v128.const(c.ln2Hi).f32x4.mul().f32x4.sub().get(p).v128.const(c.ln2Lo).f32x4.mul().f32x4.sub().set(r);
  // exp(r) = 1 + r + r^2 P(r), P(r) = c0 + c1 r + ... + c5 r^5 by Estrin's scheme,
  // (c0 + c1 r) + r^2 ((c2 + c3 r) + r^2 (c4 + c5 r)): half the dependent steps of Horner's.
  const [c5, c4, c3, c2, c1, c0] = c.poly;
  const r2 = xc;
  f.get(r).get(r).f32x4.mul().set(r2);
  f.get(r).v128.const(c5!).f32x4.mul().v128.const(c4!).f32x4.add().get(r2).f32x4.mul();
  f.get(r).v128.const(c3!).f32x4.mul().v128.const(c2!).f32x4.add().f32x4.add().get(r2).f32x4.mul();
  f.get(r).v128.const(c1!).f32x4.mul().v128.const(c0!).f32x4.add().f32x4.add();
  f.get(r2).f32x4.mul().get(r).f32x4.add().v128.const(c.one).f32x4.add();
  // Times 2 * 2^(k - 1) (2^(k - 1) stays a normal f32 for every k the clamp allows).
  f.v128.const(c.two).f32x4.mul();
  f.get(t).v128.const(c.expBias).i32x4.sub().i32.const(23).i32x4.shl().f32x4.mul().set(p);
  // Below the range: 0 (-Infinity included); above: +Infinity.
  f.get(p).get(x).v128.const(c.lo).f32x4.lt().v128.andnot().set(p);
  f.v128.const(c.inf).get(p).get(x).v128.const(c.hi).f32x4.gt().v128.bitselect().set(out);
}
