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
