/**
 * Finite-difference gradient checking for tests: compares the gradients backward() produces
 * with central differences of a weighted sum of the function's output, in f64 on the CPU.
 */
import { backward } from '../autodiff.js';
import { CpuStorage } from '../backends/cpu/storage.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { tensor } from '../ops/creation.js';
import { Rng } from '../random.js';
import { noGrad, tidy } from '../runtime.js';
import { shapeSize, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export interface GradCheckInput {
  shape: Shape;
  values: Float64Array;
  /** Inputs that are constants (ids, masks) are passed through without a gradient check. */
  constant?: Tensor;
}

export interface GradCheckResult {
  maxAbsError: number;
  maxRelError: number;
  /** Largest analytic gradient magnitude seen, to tell an all-zero gradient from a correct one. */
  maxGrad: number;
}

/** Values in [-range, range] whose magnitude is at least `gap` (keeps inputs away from kinks). */
export function randomValues(n: number, rng: Rng, range = 1, gap = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mag = gap + rng.uniform() * (range - gap);
    out[i] = rng.uniform() < 0.5 ? -mag : mag;
  }
  return out;
}

export function gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly GradCheckInput[], seed = 1, eps = 1e-6): GradCheckResult {
  const rng = new Rng(seed);
  return tidy(() => {
    const xs = inputs.map((inp) => inp.constant ?? tensor(inp.values, { shape: inp.shape, dtype: 'f64', requiresGrad: true }));
    const probe = fn(...xs);
    const weights = tensor(randomValues(probe.size, rng), { shape: probe.shape, dtype: 'f64' });
    const loss = (ys: Tensor) => sum(mul(ys, weights));
    backward(loss(probe));
    let maxAbsError = 0;
    let maxRelError = 0;
    let maxGrad = 0;
    inputs.forEach((inp, k) => {
      if (inp.constant) return;
      const analytic = readSync(xs[k]!.grad);
      for (let i = 0; i < shapeSize(inp.shape); i++) {
        const numeric = noGrad(() => (evalAt(fn, xs, inputs, k, i, eps, loss) - evalAt(fn, xs, inputs, k, i, -eps, loss)) / (2 * eps));
        const a = analytic[i] ?? 0;
        const err = Math.abs(a - numeric);
        maxGrad = Math.max(maxGrad, Math.abs(a));
        maxAbsError = Math.max(maxAbsError, err);
        maxRelError = Math.max(maxRelError, err / Math.max(1e-3, Math.abs(a), Math.abs(numeric)));
      }
    });
    return { maxAbsError, maxRelError, maxGrad };
  });
}

function evalAt(fn: (...xs: Tensor[]) => Tensor, xs: Tensor[], inputs: readonly GradCheckInput[], k: number, i: number, delta: number, loss: (y: Tensor) => Tensor): number {
  return tidy(() => {
    const values = Float64Array.from(inputs[k]!.values);
    values[i]! += delta;
    const args = xs.map((x, j) => (j === k ? tensor(values, { shape: inputs[k]!.shape, dtype: 'f64' }) : x));
    return readSync(loss(fn(...args)))[0]!;
  });
}

/** Synchronous read for the CPU backend only (tests). */
function readSync(t: Tensor | null): Float64Array {
  if (!t) return new Float64Array(0);
  if (!(t.storage instanceof CpuStorage)) throw new Error('gradCheck runs on the CPU backend.');
  return Float64Array.from(t.storage.data);
}
