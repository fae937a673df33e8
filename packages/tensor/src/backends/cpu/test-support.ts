/** Helpers shared by the CPU backend's tests: storages from arrays, seeded data, closeness, finite differences. */
import fc from 'fast-check';
import type { AnyTypedArray, DType, Storage } from '../../backend.js';
import { createCpuBackend } from './index.js';
import { cpuStorage } from './storage.js';
import { expectClose as expectWithin, storageOf } from '../../testing/compare.js';
import { seedArb, seeded, seededInts as seededRange } from '../../testing/seeded.js';

export { seedArb, seeded };

export const backend = createCpuBackend();

export function store(dtype: DType, values: ArrayLike<number>): Storage {
  return storageOf(backend, dtype, values);
}

export async function values(s: Storage): Promise<number[]> {
  return Array.from(await backend.read(s));
}

/** Deterministic integers in [0, bound). */
export function seededInts(seed: number, n: number, bound: number): number[] {
  return seededRange(seed, n, 0, bound);
}

/** Sizes that straddle block boundaries. */
export const awkwardSize = fc.constantFrom(1, 2, 3, 5, 7, 17, 33);
export const smallSize = fc.integer({ min: 1, max: 6 });
export const floatDtype = fc.constantFrom<'f32' | 'f64'>('f32', 'f64');

/** |a - e| <= atol + rtol * |e| elementwise, NaN matching NaN (testing/compare.ts, with positional tolerances). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expectWithin(actual, expected, { rtol, atol });
}

/**
 * Central finite differences of the scalar L(x) = sum(weights * f(x)) at x, in f64.
 * Compare with a backward kernel given dy = weights.
 */
export function numericGradient(f: (x: number[]) => ArrayLike<number>, x: number[], weights: ArrayLike<number>, h = 1e-6): number[] {
  const loss = (v: number[]): number => {
    const y = f(v);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += weights[i] * y[i];
    return s;
  };
  return x.map((_, i) => {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += h;
    minus[i] -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

/** Synchronous view of a CPU storage's data, for finite differences that run a forward kernel many times. */
export function dataOf(s: Storage): AnyTypedArray {
  return cpuStorage(s, 'test', 'storage').data;
}

/** Checks a backward kernel against central differences of sum(dy * forward(x)) in f64. */
export function expectGradient(forward: (x: number[]) => ArrayLike<number>, x: number[], dy: number[], analytic: ArrayLike<number>, tol = 1e-6): void {
  expectClose(analytic, numericGradient(forward, x, dy), tol, tol);
}
