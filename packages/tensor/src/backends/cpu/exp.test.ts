import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exp32, expFor } from './exp.js';

describe('exp32', () => {
  it('is within 1e-10 relative of Math.exp across the f32 range, and rounds to f32 as Math.exp does but for last-bit ties', () => {
    fc.assert(
      fc.property(fc.double({ min: -103.9, max: 88.5, noNaN: true }), (x) => {
        const exact = Math.exp(x);
        expect(Math.abs(exp32(x) - exact)).toBeLessThanOrEqual(1e-10 * exact);
        const [a, b] = [Math.fround(exp32(x)), Math.fround(exact)];
        expect(Math.abs(a - b)).toBeLessThanOrEqual(Math.abs(b) * 2 ** -23);
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact at 0 and on every special value', () => {
    expect(exp32(0)).toBe(1);
    expect(exp32(-Infinity)).toBe(0);
    expect(exp32(Infinity)).toBe(Infinity);
    expect(exp32(NaN)).toBeNaN();
    for (const x of [-745.2, -200, -104, 89, 500, 710]) expect(exp32(x)).toBe(Math.exp(x));
  });

  it('is the exp of f32 data only', () => {
    expect(expFor(new Float32Array(1))).toBe(exp32);
    expect(expFor(new Float64Array(1))).toBe(Math.exp);
  });
});
