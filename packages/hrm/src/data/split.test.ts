import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdOut, reservoirSample, subsample } from './split.js';

describe('selection', () => {
  it('samples distinct items in stream order, all of them when the stream is short', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 20 }), fc.integer(), (n, k, seed) => {
        const items = Array.from({ length: n }, (_, i) => i);
        const sample = reservoirSample(items, k, seed);
        expect(sample).toHaveLength(Math.min(n, k));
        expect([...sample].sort((a, b) => a - b)).toEqual(sample);
        expect(new Set(sample).size).toBe(sample.length);
        expect(subsample(items, k, seed)).toHaveLength(Math.min(n, k));
        const { train, test } = holdOut(items, 0.25, seed);
        expect(test).toHaveLength(Math.round(n * 0.25));
        expect([...train, ...test].sort((a, b) => a - b)).toEqual(items);
      }),
    );
  });
});
