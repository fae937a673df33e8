/**
 * Seeded randomness: the xoshiro128** generator (Blackman and Vigna), seeded through SplitMix64 as
 * its authors recommend, and the fills used to initialise parameters, including the JAX-style
 * truncated normal of the HRM reference. The whole generator state is four 32-bit words, so a
 * checkpoint can store it and a resumed run continues the exact same sequence.
 */

const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** SplitMix64 from a 64-bit seed, two outputs split into four 32-bit words (low word first). */
function splitMix64Words(seed: bigint): number[] {
  const mask = (1n << 64n) - 1n;
  let state = BigInt.asUintN(64, seed);
  const words: number[] = [];
  for (let i = 0; i < 2; i++) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    words.push(Number(z & 0xffffffffn), Number(z >> 32n));
  }
  return words;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Any safe integer seed, negative ones included; equal seeds give equal sequences. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    [this.s0, this.s1, this.s2, this.s3] = splitMix64Words(BigInt(seed)) as [number, number, number, number];
  }

  /**
   * A generator for `seed` and optional stream numbers (an epoch, a purpose): each (seed, streams)
   * combination gives its own independent sequence; `fromSeed(s)` equals `new Rng(s)`.
   */
  static fromSeed(seed: number, ...streams: number[]): Rng {
    let mixed = new Rng(seed);
    for (const stream of streams) {
      if (!Number.isSafeInteger(stream)) throw new RangeError(`Rng stream must be a safe integer, got ${stream}`);
      mixed = new Rng(mixed.nextUint32() * 2 ** 21 + (((stream % 2 ** 21) + 2 ** 21) % 2 ** 21)); // stays a safe integer
    }
    return mixed;
  }

  /** The generator state as four unsigned 32-bit words; `Rng.fromState` resumes from it exactly. */
  state(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Resumes from `state()`. Words stored as signed 32-bit integers (an Int32Array) are accepted. */
  static fromState(state: ArrayLike<number>): Rng {
    const words = Array.from(state);
    if (words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < TWO_POW_32)) {
      throw new RangeError(`Rng state must be four 32-bit integers, got [${words.join(', ')}]`);
    }
    if (words.every((w) => w === 0)) throw new RangeError('Rng state must not be all zero');
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = words.map((w) => w | 0) as [number, number, number, number];
    return rng;
  }

  /** The next raw output, an unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 2 ** 26 + low) / TWO_POW_53;
  }

  /** Standard normal (Box-Muller; the second value is not cached so that the state stays four words). */
  normal(): number {
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    return radius * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Uniform integer in [lo, hi], both included, without modulo bias; the range may span up to 2^32 values. */
  int(lo: number, hiInclusive: number): number {
    const span = hiInclusive - lo + 1;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hiInclusive) || span < 1 || span > TWO_POW_32) {
      throw new RangeError(`Rng.int needs integers lo <= hi spanning at most 2^32 values, got [${lo}, ${hiInclusive}]`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % span);
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<A extends { length: number; [index: number]: unknown }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const swap = array[i];
      array[i] = array[j];
      array[j] = swap;
    }
    return array;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }
}

type FloatArray = Float32Array | Float64Array;

export function fillUniform<A extends FloatArray>(array: A, rng: Rng, lo = 0, hi = 1): A {
  for (let i = 0; i < array.length; i++) array[i] = lo + (hi - lo) * rng.uniform();
  return array;
}

export function fillNormal<A extends FloatArray>(array: A, rng: Rng, mean = 0, std = 1): A {
  for (let i = 0; i < array.length; i++) array[i] = mean + std * rng.normal();
  return array;
}

// ---- erf and erfinv in double precision. ----

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SERIES_LIMIT = 3;
/** 2 / (2n + 1): successive terms of erf's series differ by x^2 times this; below |x| = 3, 45 terms reach 1e-17. */
const SERIES_RATIOS = Float64Array.from({ length: 60 }, (_, n) => 2 / (2 * n + 1));
const CONTINUED_FRACTION_DEPTH = 60;

/**
 * The error function, to a few ulp. Below |x| = 3 a series of positive terms
 * (erf x = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)), free of cancellation); above,
 * 1 - erfc x from erfc's continued fraction, which converges quickly there.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= SERIES_LIMIT) return Math.sign(x) * (1 - erfcContinuedFraction(ax));
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < SERIES_RATIOS.length && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= x2 * SERIES_RATIOS[n]!;
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) for x >= 3. */
function erfcContinuedFraction(x: number): number {
  let tail = x;
  for (let n = CONTINUED_FRACTION_DEPTH; n >= 1; n--) tail = x + n / 2 / tail;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / tail;
}

/**
 * The inverse error function on [-1, 1] (+-Infinity at +-1, NaN outside). M. Giles'
 * single-precision approximation ("Approximating the erfinv function", 2010) refined by one
 * Halley step on erf, which brings it to about 1e-15 relative wherever erf is not flat to
 * double precision (|x| < 4).
 */
export function erfinv(y: number): number {
  if (!(y >= -1 && y <= 1)) return NaN;
  if (y === 1 || y === -1) return y * Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  const x = p * y;
  // Halley on f(x) = erf(x) - y: f' = 2/sqrt(pi) e^(-x^2), f'' = -2x f', so dx = f / (f' + x f).
  const f = erf(x) - y;
  return x - f / (TWO_OVER_SQRT_PI * Math.exp(-x * x) + x * f);
}

// ---- The truncated normal of the HRM reference (JAX's truncated_normal, rescaled). ----

const SQRT2 = Math.SQRT2;
const TRUNCATION = 2; // bounds at +-2 standard deviations of the untruncated normal
const standardNormalPdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

/**
 * The std of a standard normal truncated to [-2, 2] is sqrt(1 - 4 phi(2) / erf(sqrt 2)) (the
 * variance of a normal truncated to [-b, b] is 1 - 2 b phi(b) / (Phi(b) - Phi(-b)), and
 * Phi(b) - Phi(-b) = erf(b / sqrt 2)). Dividing by it makes the realised std the requested one:
 * about 1.1368472.
 */
export const TRUNC_NORMAL_STD_CORRECTION = 1 / Math.sqrt(1 - (2 * TRUNCATION * standardNormalPdf(TRUNCATION)) / erf(TRUNCATION / SQRT2));

/**
 * Fills with a normal truncated at +-2 of its std whose realised std is `std`: u ~ U(erf(-sqrt2),
 * erf(sqrt2)), x = erfinv(u) sqrt2 comp_std, clipped to +-2 comp_std (comp_std = std times the
 * correction above). std 0 gives zeros.
 */
export function fillTruncNormal<A extends FloatArray>(array: A, rng: Rng, std = 1): A {
  if (std === 0) {
    array.fill(0);
    return array;
  }
  const compStd = std * TRUNC_NORMAL_STD_CORRECTION;
  const bound = TRUNCATION * compStd;
  const hi = erf(TRUNCATION / SQRT2);
  const lo = -hi;
  for (let i = 0; i < array.length; i++) {
    const x = erfinv(lo + (hi - lo) * rng.uniform()) * SQRT2 * compStd;
    array[i] = Math.min(bound, Math.max(-bound, x));
  }
  return array;
}
