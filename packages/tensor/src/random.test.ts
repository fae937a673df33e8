import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, TRUNC_NORMAL_STD_CORRECTION, erf, erfinv, fillNormal, fillTruncNormal, fillUniform } from './random.js';

const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextUint32());

function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

describe('Rng', () => {
  it('matches the reference xoshiro128** seeded by SplitMix64', () => {
    // From the authors' C code: SplitMix64(42) twice, split low word first, then next().
    expect(draw(new Rng(42), 6)).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
  });

  it('is determined by its seed', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (seed) => {
        expect(draw(new Rng(seed), 8)).toEqual(draw(new Rng(seed), 8));
      }),
    );
    expect(draw(new Rng(1), 4)).not.toEqual(draw(new Rng(2), 4));
    expect(draw(new Rng(-1), 4)).not.toEqual(draw(new Rng(1), 4));
  });

  it('resumes exactly from a saved state, also when stored as signed 32-bit words', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(50), (seed, skip) => {
        const rng = new Rng(seed);
        for (let i = 0; i < skip; i++) rng.normal();
        const state = rng.state();
        expect(state.every((w) => w >= 0 && w < 2 ** 32)).toBe(true);
        const expected = [rng.uniform(), rng.normal(), rng.int(-5, 5)];
        for (const saved of [state, Int32Array.from(state)]) {
          const resumed = Rng.fromState(saved);
          expect([resumed.uniform(), resumed.normal(), resumed.int(-5, 5)]).toEqual(expected);
        }
      }),
    );
  });

  it('refuses bad seeds and states', () => {
    expect(() => new Rng(0.5)).toThrow('safe integer');
    expect(() => Rng.fromState([1, 2, 3])).toThrow('four 32-bit integers');
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow('all zero');
  });

  it('draws uniforms in [0, 1) and integers in [lo, hi] covering every value', () => {
    const rng = new Rng(7);
    const counts = new Map<number, number>();
    for (let i = 0; i < 6000; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      const k = rng.int(-2, 3);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(200);
    expect(rng.int(4, 4)).toBe(4);
    expect(rng.int(0, 2 ** 32 - 1)).toBeLessThan(2 ** 32);
    expect(() => rng.int(3, 2)).toThrow(RangeError);
    expect(() => rng.int(0, 2 ** 32)).toThrow(RangeError);
  });

  it('shuffles and permutes without losing elements', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(100), (seed, n) => {
        const order = new Rng(seed).permutation(n);
        expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        const words = ['a', 'b', 'c', 'd', 'e'];
        expect(new Rng(seed).shuffle([...words]).sort()).toEqual(words);
      }),
    );
  });
});

describe('fills', () => {
  it('fillUniform and fillNormal have the requested moments', () => {
    const uniform = meanAndStd(fillUniform(new Float64Array(100_000), new Rng(1), -1, 3));
    expect(uniform.mean).toBeCloseTo(1, 1);
    expect(uniform.std).toBeCloseTo(4 / Math.sqrt(12), 1);
    const normal = meanAndStd(fillNormal(new Float64Array(100_000), new Rng(2), 5, 2));
    expect(normal.mean).toBeCloseTo(5, 1);
    expect(normal.std).toBeCloseTo(2, 1);
  });

  it('the truncated-normal correction is the HRM constant', () => {
    expect(TRUNC_NORMAL_STD_CORRECTION).toBeCloseTo(1.1368472343385565, 14);
  });

  it('fillTruncNormal realises the requested std within +-2 comp_std', () => {
    for (const std of [1, 0.02]) {
      const values = fillTruncNormal(new Float32Array(200_000), new Rng(3), std);
      const bound = 2 * std * TRUNC_NORMAL_STD_CORRECTION;
      expect(values.every((v) => Math.abs(v) <= bound * (1 + 1e-7))).toBe(true);
      const { mean, std: realised } = meanAndStd(values);
      expect(Math.abs(mean)).toBeLessThan(0.01 * std);
      expect(Math.abs(realised / std - 1)).toBeLessThan(0.01);
    }
    expect(Array.from(fillTruncNormal(new Float32Array(3).fill(7), new Rng(3), 0))).toEqual([0, 0, 0]);
  });

  it('fills are reproducible from the seed', () => {
    const a = fillTruncNormal(new Float32Array(64), new Rng(9), 0.5);
    const b = fillTruncNormal(new Float32Array(64), new Rng(9), 0.5);
    expect(a).toEqual(b);
  });
});

describe('erf and erfinv', () => {
  it('erf matches reference values (Python math.erf) to a few ulp', () => {
    const reference: [number, number][] = [
      [0.1, 0.1124629160182849],
      [-0.3, -0.3286267594591274],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [Math.SQRT2, 0.9544997361036416],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [4, 0.9999999845827421],
      [5, 0.9999999999984626],
    ];
    for (const [x, expected] of reference) expect(Math.abs(erf(x) - expected)).toBeLessThan(1e-15);
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it('erfinv inverts erf to 1e-9', () => {
    fc.assert(
      fc.property(fc.double({ min: -3.5, max: 3.5, noNaN: true }), (x) => {
        expect(Math.abs(erfinv(erf(x)) - x)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x)));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.double({ min: -0.999999, max: 0.999999, noNaN: true }), (y) => {
        expect(Math.abs(erf(erfinv(y)) - y)).toBeLessThan(1e-15);
      }),
      { numRuns: 2000 },
    );
  });

  it('erfinv handles the ends of its domain', () => {
    expect(erfinv(1)).toBe(Infinity);
    expect(erfinv(-1)).toBe(-Infinity);
    expect(erfinv(0)).toBe(0);
    expect(erfinv(1.5)).toBeNaN();
    expect(erfinv(NaN)).toBeNaN();
  });
});

describe('Rng.fromSeed streams', () => {
  it('equals new Rng(seed) without streams and separates streams', () => {
    expect(Rng.fromSeed(5).state()).toEqual(new Rng(5).state());
    const a = Rng.fromSeed(5, 1).nextUint32();
    expect(Rng.fromSeed(5, 1).nextUint32()).toBe(a);
    expect(Rng.fromSeed(5, 2).nextUint32()).not.toBe(a);
    expect(Rng.fromSeed(6, 1).nextUint32()).not.toBe(a);
  });
});
