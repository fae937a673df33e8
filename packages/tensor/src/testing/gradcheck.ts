/**
 * Finite-difference gradient checking for tests: compares the gradients backward() produces
 * with central differences of a random weighted sum of the function's output, in f64 on the CPU.
 */
import type { AnyTypedArray, Storage } from '../backend.js';
import { backward } from '../autodiff.js';
import { CpuStorage, cpuStorage } from '../backends/cpu/storage.js';
import { tensor } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { Rng } from '../random.js';
import { noGrad, tidy } from '../runtime.js';
import type { Tensor } from '../tensor.js';
import { expectClose } from './compare.js';
import { type CaseInput, randomValues } from './op-cases.js';

export interface GradCheckResult {
  maxRelError: number;
  /** Largest analytic gradient magnitude seen, to tell an all-zero gradient from a correct one. */
  maxGrad: number;
}

/** Uploads a case input to the active backend (floats in `floatDType`, ids as i32). */
export function materialize(inp: CaseInput, floatDType: 'f32' | 'f64', values = inp.values): Tensor {
  if (inp.kind === 'ids') return tensor(values, { shape: inp.shape, dtype: 'i32' });
  return tensor(values, { shape: inp.shape, dtype: floatDType, requiresGrad: inp.kind === 'param' });
}

export function gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly CaseInput[], seed = 1, eps = 1e-6): GradCheckResult {
  const rng = new Rng(seed);
  return tidy(() => {
    const xs = inputs.map((inp) => materialize(inp, 'f64'));
    const probe = fn(...xs);
    const weights = tensor(randomValues(probe.size, rng), { shape: probe.shape, dtype: 'f64' });
    const loss = (y: Tensor) => readSync(sum(mul(y, weights)))[0]!;
    backward(sum(mul(probe, weights)));
    let maxRelError = 0;
    let maxGrad = 0;
    inputs.forEach((inp, k) => {
      if (inp.kind !== 'param') return;
      const analytic = readSync(xs[k]!.grad);
      for (let i = 0; i < inp.values.length; i++) {
        const at = (delta: number) =>
          tidy(() => {
            const values = Float64Array.from(inp.values);
            values[i]! += delta;
            return loss(fn(...xs.map((x, j) => (j === k ? materialize(inp, 'f64', values) : x))));
          });
        const numeric = noGrad(() => (at(eps) - at(-eps)) / (2 * eps));
        const a = analytic[i] ?? 0;
        maxGrad = Math.max(maxGrad, Math.abs(a));
        maxRelError = Math.max(maxRelError, Math.abs(a - numeric) / Math.max(1e-3, Math.abs(a), Math.abs(numeric)));
      }
    });
    return { maxRelError, maxGrad };
  });
}

/** Synchronous read, CPU backend only (tests). */
function readSync(t: Tensor | null): Float64Array {
  if (!t) return new Float64Array(0);
  if (!(t.storage instanceof CpuStorage)) throw new Error('gradCheck runs on the CPU backend.');
  return Float64Array.from(t.storage.data);
}

/**
 * Central finite differences of the scalar L(x) = sum(weights * f(x)) at x, in f64: the
 * kernel-level check, to compare with a backward kernel given dy = weights.
 */
export function numericGradient(f: (x: number[]) => ArrayLike<number>, x: number[], weights: ArrayLike<number>, h = 1e-6): number[] {
  const loss = (v: number[]): number => {
    const y = f(v);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += weights[i]! * y[i]!;
    return s;
  };
  return x.map((_, i) => {
    const plus = x.slice();
    const minus = x.slice();
    plus[i]! += h;
    minus[i]! -= h;
    return (loss(plus) - loss(minus)) / (2 * h);
  });
}

/** Checks a backward kernel against central differences of sum(dy * forward(x)) in f64 (rtol = atol = tol). */
export function expectGradient(forward: (x: number[]) => ArrayLike<number>, x: number[], dy: number[], analytic: ArrayLike<number>, tol = 1e-6): void {
  expectClose(analytic, numericGradient(forward, x, dy), { rtol: tol, atol: tol });
}

/** Synchronous view of a CPU storage's data, for finite differences that run a forward kernel many times. */
export function cpuData(s: Storage): AnyTypedArray {
  return cpuStorage(s, 'test', 'storage').data;
}
