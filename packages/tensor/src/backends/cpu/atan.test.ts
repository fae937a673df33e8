import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atan2F32 } from './atan.js';

describe('atan2F32', () => {
  it('is within 2e-7 relative of Math.atan2 over magnitudes from 1e-30 to 1e30', () => {
    const magnitude = fc.double({ min: -69, max: 69, noNaN: true }).map(Math.exp);
    fc.assert(
      fc.property(magnitude, magnitude, fc.boolean(), (a, x, negative) => {
        const y = negative ? -a : a;
        const exact = Math.atan2(y, x);
        expect(Math.abs(atan2F32(y, x) - exact)).toBeLessThanOrEqual(2e-7 * Math.abs(exact) + 1e-45);
      }),
      { numRuns: 5000 },
    );
  });

  it('covers each reduction branch and is exact on zeros, infinities and NaN', () => {
    for (const t of [0.1, 0.4142, 0.4143, 1, 2.4142, 2.4143, 10]) expect(atan2F32(t, 1)).toBeCloseTo(Math.atan(t), 7);
    for (const [y, x] of [
      [0, 0],
      [-0, 0],
      [0, 1],
      [-0, 1],
      [1, 0],
      [-1, 0],
      [Infinity, 1],
      [-Infinity, 1],
      [1, Infinity],
      [Infinity, Infinity],
      [1, -1],
      [NaN, 1],
      [1, NaN],
    ]) {
      expect(Object.is(atan2F32(y!, x!), Math.atan2(y!, x!))).toBe(true);
    }
  });
});
