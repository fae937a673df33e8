import { describe, expect, it } from 'vitest';
import { warmupCosineLr } from './schedule.js';

describe('warmupCosineLr', () => {
  const options = { baseLr: 1e-4, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
  const lr = (step: number, overrides = {}) => warmupCosineLr(step, { ...options, ...overrides });

  it('warms up linearly while step < warmupSteps', () => {
    expect(lr(1)).toBeCloseTo(1e-5, 15);
    expect(lr(5)).toBeCloseTo(5e-5, 15);
    expect(lr(9)).toBeCloseTo(9e-5, 15);
  });

  it('follows a half cosine from baseLr to minRatio * baseLr', () => {
    expect(lr(10)).toBeCloseTo(1e-4, 15);
    // progress 0.5: 0.1 + 0.9 * 0.5 * (1 + cos(pi/2)) = 0.55
    expect(lr(60)).toBeCloseTo(0.55e-4, 15);
    // progress 0.25: 0.1 + 0.9 * 0.5 * (1 + sqrt(1/2)) = 0.868198...
    expect(lr(35)).toBeCloseTo(1e-4 * (0.1 + 0.45 * (1 + Math.SQRT1_2)), 15);
    expect(lr(110)).toBeCloseTo(1e-5, 15);
  });

  it('is constant after warmup with the reference default minRatio 1', () => {
    for (const step of [10, 50, 110]) expect(lr(step, { minRatio: 1 })).toBe(1e-4);
  });

  it('guards both denominators as the reference does', () => {
    expect(lr(0, { warmupSteps: 0 })).toBeCloseTo(1e-4, 15);
    expect(lr(5, { warmupSteps: 5, totalSteps: 5 })).toBeCloseTo(1e-4, 15);
    expect(lr(6, { warmupSteps: 5, totalSteps: 5, minRatio: 0 })).toBeCloseTo(0, 15);
  });
});
