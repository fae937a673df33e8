import fc from 'fast-check';
import { fillUniform, Rng } from '../random.js';

/** Deterministic uniform numbers in [lo, hi) from a seed, for kernel tests. */
export function seeded(seed: number, n: number, lo = -1, hi = 1): number[] {
  return Array.from(fillUniform(new Float64Array(n), new Rng(seed), lo, hi));
}

/** Deterministic integers in [lo, hi) from a seed. */
export function seededInts(seed: number, n: number, lo: number, hi: number): number[] {
  return seeded(seed, n, lo, hi).map(Math.floor);
}

/** Seeds for property tests. */
export const seedArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });

/** Sizes that straddle block boundaries. */
export const awkwardSize = fc.constantFrom(1, 2, 3, 5, 7, 17, 33);
export const smallSize = fc.integer({ min: 1, max: 6 });
export const floatDtype = fc.constantFrom<'f32' | 'f64'>('f32', 'f64');
