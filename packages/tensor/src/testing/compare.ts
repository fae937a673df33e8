/** Test helpers shared by the backend harnesses: storages from host values, and closeness checks. */
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
