/** Test helpers shared by every suite: storages from host values, and closeness checks. */
import { expect } from 'vitest';
import { typedArrayFor, type Backend, type DType, type Storage } from '../backend.js';

/** A new storage on `backend` holding `values` as `dtype`. */
export function storageOf(backend: Backend, dtype: DType, values: ArrayLike<number>): Storage {
  const s = backend.alloc(dtype, values.length);
  const data = typedArrayFor(dtype, values.length);
  data.set(Array.from(values));
  backend.write(s, data);
  return s;
}

/** Storages made from host numbers on `backend`, and read back as numbers. */
export function hostIO(backend: Backend): { store: (dtype: DType, values: ArrayLike<number>) => Storage; values: (s: Storage) => Promise<number[]> } {
  return {
    store: (dtype, values) => storageOf(backend, dtype, values),
    values: async (s) => Array.from(await backend.read(s)),
  };
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** |a - e| <= atol + rtol * |e| elementwise (NaN matches NaN, infinities must be equal). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = {}, what = 'values'): void {
  const { rtol = 1e-5, atol = 0 } = tol;
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= atol + rtol * Math.abs(e) : a === e;
    if (!ok) expect.fail(`${what}[${i}]: expected ${e}, found ${a} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * max |actual - expected| over the largest finite |expected| (at least `minScale`; the bare
 * difference when that scale is 0). Equal values (NaN and NaN, equal infinities) agree; a NaN or
 * infinity against anything else is an Infinity error.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, minScale = 0): number {
  if (actual.length !== expected.length) throw new Error(`relativeError: ${actual.length} values against ${expected.length} expected.`);
  let scale = minScale;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    worst = Math.max(worst, Number.isFinite(a) && Number.isFinite(e) ? Math.abs(a - e) : Infinity);
  }
  return scale === 0 ? worst : worst / scale;
}
