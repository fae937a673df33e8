import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { gemm, type MatrixView } from '../backends/cpu/gemm.js';
import { setCpuSimd } from '../backends/cpu/wasm/features.js';
import { seedArb, seeded } from '../testing/seeded.js';
import { cpuThreadCount, defaultCpuThreads, startCpuThreads, stopCpuThreads } from './cpu-threads.js';

interface Product {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  f64: boolean;
  seed: number;
}

function view(data: Float32Array, rows: number, cols: number, transposed: boolean): MatrixView {
  // A transposed operand is stored [cols, rows] and read through swapped strides.
  return transposed ? { data, offset: 0, rowStride: 1, colStride: rows } : { data, offset: 0, rowStride: cols, colStride: 1 };
}

/** The same product by the definition, in f64 over the f32-rounded inputs. */
function naiveProduct(p: Product): number[] {
  const a = seeded(p.seed, p.m * p.k).map(Math.fround);
  const b = seeded(p.seed + 1, p.k * p.n).map(Math.fround);
  const at = (i: number, t: number) => (p.transA ? a[t * p.m + i]! : a[i * p.k + t]!);
  const bt = (t: number, j: number) => (p.transB ? b[j * p.k + t]! : b[t * p.n + j]!);
  const out: number[] = [];
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let s = 0;
      for (let t = 0; t < p.k; t++) s += at(i, t) * bt(t, j);
      out.push(s);
    }
  }
  return out;
}

function product(p: Product): Float32Array | Float64Array {
  const a = new Float32Array(seeded(p.seed, p.m * p.k));
  const b = new Float32Array(seeded(p.seed + 1, p.k * p.n));
  // A few poisoned elements before and after the output block: gemm must write exactly its block.
  const c = p.f64 ? new Float64Array(p.m * p.n + 6).fill(NaN) : new Float32Array(p.m * p.n + 6).fill(NaN);
  gemm(view(a, p.m, p.k, p.transA), view(b, p.k, p.n, p.transB), c, 3, p.m, p.n, p.k);
  return c;
}

// Mostly large enough to be split (2^17 multiply-adds), with sizes that are not multiples of the
// register tiles (4x4 TypeScript, 4x8 WebAssembly), the row blocks, the 256-deep WebAssembly k
// steps, or (rarely, to keep the run short) the 1024-row packs and 512-deep TypeScript k steps.
const products = fc.record({
  m: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 5, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 1020, max: 1030 }) }),
  n: fc.integer({ min: 1, max: 130 }),
  k: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 80 }) }, { weight: 1, arbitrary: fc.integer({ min: 510, max: 530 }) }),
  transA: fc.boolean(),
  transB: fc.boolean(),
  f64: fc.boolean(),
  seed: seedArb,
});

describe('gemm on worker threads', () => {
  afterEach(() => stopCpuThreads());
  afterAll(() => stopCpuThreads());

  // f32 products run on the WebAssembly SIMD kernel when it is on, on the TypeScript one when off.
  it.each([true, false])('gives bit-identical products to one thread, with 2 or 3 threads (SIMD kernels on: %s)', async (simd) => {
    setCpuSimd(simd);
    // Plus outputs wider than one 1024-column block, with one and two k slices, and f32 products
    // above the SIMD kernel's threading threshold (2^21 multiply-adds) of awkward sizes.
    const wide: Product[] = [
      { m: 50, n: 1030, k: 3, transA: false, transB: true, f64: false, seed: 3 },
      { m: 40, n: 1100, k: 520, transA: true, transB: false, f64: true, seed: 4 },
      { m: 301, n: 131, k: 83, transA: false, transB: false, f64: false, seed: 5 },
      { m: 1031, n: 37, k: 517, transA: true, transB: true, f64: false, seed: 6 },
      { m: 9, n: 1030, k: 260, transA: false, transB: true, f64: false, seed: 7 },
      { m: 77, n: 600, k: 70, transA: true, transB: false, f64: false, seed: 8 },
    ];
    const cases = [...fc.sample(products, { numRuns: 40 }), ...wide];
    const single = cases.map(product);
    for (const threads of [2, 3]) {
      expect(await startCpuThreads(threads)).toBe(threads);
      cases.forEach((p, i) => {
        const threaded = product(p);
        expect(threaded.slice(0, 3).every(Number.isNaN) && threaded.slice(-3).every(Number.isNaN), `${JSON.stringify(p)}: wrote outside its block`).toBe(true);
        const mismatch = threaded.findIndex((v, j) => !Object.is(v, single[i]![j]));
        expect(mismatch, `${threads} threads, ${JSON.stringify(p)}: first differing element`).toBe(-1);
      });
      await stopCpuThreads();
    }
    setCpuSimd(null);
  });

  it('matches a plain triple loop: few rows for three threads, outputs wider than a column block', async () => {
    await startCpuThreads(3);
    const cases: Product[] = [
      { m: 9, n: 200, k: 100, transA: false, transB: true, f64: true, seed: 5 },
      { m: 40, n: 1100, k: 520, transA: true, transB: false, f64: true, seed: 4 },
    ];
    for (const p of cases) {
      const threaded = product(p);
      const expected = naiveProduct(p);
      const worst = expected.reduce((w, e, j) => Math.max(w, Math.abs(threaded[3 + j]! - e) / (1 + Math.abs(e))), 0);
      expect(worst, JSON.stringify(p)).toBeLessThan(1e-12);
    }
  });

  it('runs hundreds of back-to-back jobs, each finished by every thread before the next', async () => {
    // A training run once stopped with the old count-down handshake gone negative after thousands of
    // jobs (not reproduced in isolation): the handshake must hold for bursts of small products.
    await startCpuThreads(2);
    const p: Product = { m: 136, n: 128, k: 128, transA: false, transB: true, f64: false, seed: 11 };
    const expected = product(p);
    for (let i = 0; i < 400; i++) {
      const got = product(p);
      if (got.findIndex((v, j) => !Object.is(v, expected[j])) !== -1) expect.fail(`job ${i} differs`);
    }
  });

  it('stops cleanly and rejects impossible thread counts', async () => {
    expect(await startCpuThreads(2)).toBe(2);
    expect(cpuThreadCount()).toBe(2);
    await stopCpuThreads();
    expect(cpuThreadCount()).toBe(1);
    const after = product({ m: 300, n: 100, k: 50, transA: false, transB: false, f64: false, seed: 9 });
    expect(after.slice(3, -3).every(Number.isFinite)).toBe(true);
    await expect(startCpuThreads(0)).rejects.toThrow(/whole number >= 1, found 0/);
    await expect(startCpuThreads(1.5)).rejects.toThrow(/found 1.5/);
    expect(await startCpuThreads(1)).toBe(1);
  });

  it('takes the default count from HRM_CPU_THREADS and names a bad value', () => {
    vi.stubEnv('HRM_CPU_THREADS', '3');
    expect(defaultCpuThreads()).toBe(3);
    vi.stubEnv('HRM_CPU_THREADS', 'two');
    expect(() => defaultCpuThreads()).toThrow('HRM_CPU_THREADS must be a whole number of threads >= 1, found "two"');
    vi.stubEnv('HRM_CPU_THREADS', '');
    expect(defaultCpuThreads()).toBeGreaterThanOrEqual(1);
    vi.unstubAllEnvs();
  });
});
