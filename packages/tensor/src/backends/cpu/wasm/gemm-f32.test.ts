import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { seedArb, seeded } from '../../../testing/seeded.js';
import { gemm, type MatrixView } from '../gemm.js';
import { setCpuSimd, simdSupported } from './features.js';
import { gemmF32, instantiateKernel, TILE } from './gemm-f32.js';
import { gemmKernelModule } from './gemm-kernel.js';

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Elements before each operand's matrix (a batch stride) and between its rows beyond the row length. */
  offset: number;
  pad: number;
  seed: number;
}

/** A [rows, cols] matrix stored at `offset`, transposed or not, rows `pad` elements apart beyond their length. */
function operand(seed: number, rows: number, cols: number, transposed: boolean, offset: number, pad: number): MatrixView {
  const [outer, inner] = transposed ? [cols, rows] : [rows, cols];
  const data = new Float32Array(seeded(seed, offset + outer * (inner + pad)));
  const lead = inner + pad;
  return transposed ? { data, offset, rowStride: 1, colStride: lead } : { data, offset, rowStride: lead, colStride: 1 };
}

const abs = (v: MatrixView): MatrixView => ({ ...v, data: Float32Array.from(v.data as Float32Array, Math.abs) });

/**
 * Runs the case on the SIMD kernel and checks every element against the f64 kernel within the
 * f32 summation bound |c - exact| <= gamma(k) * (|A| |B|), gamma(k) = k u / (1 - k u), u = 2^-24
 * (the f64 reference's own error is far below it); and that nothing outside C's block was written.
 */
function check(p: Case): void {
  const a = operand(p.seed, p.m, p.k, p.transA, p.offset, p.pad);
  const b = operand(p.seed + 1, p.k, p.n, p.transB, p.offset, p.pad);
  const c = new Float32Array(p.m * p.n + 4).fill(NaN);
  gemmF32(a, b, c, 2, p.m, p.n, p.k, null);
  const exact = new Float64Array(p.m * p.n);
  gemm(a, b, exact, 0, p.m, p.n, p.k);
  const scale = new Float64Array(p.m * p.n);
  gemm(abs(a), abs(b), scale, 0, p.m, p.n, p.k);
  const u = 2 ** -24;
  const gamma = (p.k * u) / (1 - p.k * u);
  expect([c[0], c[1], c[c.length - 2], c[c.length - 1]].every(Number.isNaN), 'wrote outside its block').toBe(true);
  for (let i = 0; i < exact.length; i++) {
    const err = Math.abs(c[2 + i]! - exact[i]!);
    if (!(err <= gamma * scale[i]! + 1e-30))
      expect.fail(`${JSON.stringify(p)}: c[${i}] = ${c[2 + i]}, expected ${exact[i]} (error ${err}, bound ${gamma * scale[i]!})`);
  }
}

// Sizes around every blocking factor: the 4x8 register tile, 192-row blocks, 256-deep k steps,
// the 512-column limit of copying A's rows,
// and (in the second property) the 1024-row and 1024-column packs.
const around = (...edges: number[]) => fc.oneof(...edges.map((e) => fc.integer({ min: Math.max(1, e - 3), max: e + 3 })));

describe.runIf(simdSupported())('f32 gemm on the WebAssembly SIMD kernel', () => {
  afterAll(() => setCpuSimd(null));

  it(`uses a ${TILE.mr}x${TILE.nr} register tile`, () => {
    expect(TILE.nr % 4).toBe(0);
  });

  it('matches the f64 kernel within f32 rounding on random shapes, transposes and strides', () => {
    fc.assert(
      fc.property(
        fc.record({
          m: fc.oneof(fc.integer({ min: 1, max: 20 }), around(192, 200)),
          n: fc.oneof(fc.integer({ min: 1, max: 20 }), around(40, 82, 512)),
          k: fc.oneof(fc.integer({ min: 1, max: 20 }), around(32, 256, 513)),
          transA: fc.boolean(),
          transB: fc.boolean(),
          offset: fc.integer({ min: 0, max: 5 }),
          pad: fc.integer({ min: 0, max: 3 }),
          seed: seedArb,
        }),
        check,
      ),
      { numRuns: 80 },
    );
  });

  it('crosses the row and column packs, and covers k = 0, k = 1, m = 1 (also transposed) and n = 1', () => {
    const base = { transA: false, transB: false, offset: 0, pad: 0, seed: 7 };
    const cases: Case[] = [
      { ...base, m: 1030, n: 9, k: 3, transA: true },
      { ...base, m: 5, n: 1031, k: 260, transB: true, offset: 3 },
      { ...base, m: 1, n: 37, k: 300 },
      { ...base, m: 37, n: 1, k: 300, pad: 2 },
      { ...base, m: 6, n: 10, k: 1 },
      // A transposed with one or two rows: rows 1 apart, a whole k step read from overlapping rows.
      { ...base, m: 1, n: 9, k: 12, transA: true },
      { ...base, m: 2, n: 5, k: 8, transA: true, transB: true },
    ];
    for (const p of cases) check(p);
    const zeros = new Float32Array(12).fill(NaN);
    gemmF32(operand(1, 3, 0, false, 0, 0), operand(2, 0, 4, false, 0, 0), zeros, 0, 3, 4, 0, null);
    expect(Array.from(zeros)).toEqual(new Array(12).fill(0));
  });

  it('packs lane-contiguous blocks into W-lane panels in the module (packLanes)', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const kernel = instantiateKernel({ module: new WebAssembly.Module(gemmKernelModule({ ...TILE, fma: false }, { pages: 1, shared: false })), memory });
    const heap = new Float32Array(memory.buffer);
    fc.assert(
      fc.property(
        fc.constantFrom(TILE.mr, TILE.nr),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 19 }),
        fc.integer({ min: 0, max: 5 }),
        seedArb,
        (width, panels, kc, pad, seed) => {
          const ld = panels * width + pad;
          const src = 16;
          const dst = src + kc * ld + 4;
          heap.set(seeded(seed, kc * ld), src);
          heap.fill(NaN, dst - 4, dst + panels * width * kc + 4);
          kernel.packLanes(width, 4 * src, 4 * ld, 4 * dst, kc, panels);
          for (let p = 0; p < panels; p++) {
            for (let kk = 0; kk < kc; kk++) {
              for (let l = 0; l < width; l++) expect(heap[dst + (p * kc + kk) * width + l]).toBe(heap[src + kk * ld + p * width + l]);
            }
          }
          const after = dst + panels * width * kc;
          expect([heap[dst - 1], heap[after], heap[after + 3]].every(Number.isNaN), 'wrote outside its panels').toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rounds f64 operands to f32 as it packs them', () => {
    const a: MatrixView = { data: new Float64Array([1 + 2 ** -30, 2]), offset: 0, rowStride: 2, colStride: 1 };
    const b: MatrixView = { data: new Float64Array([3, 1 / 3]), offset: 0, rowStride: 1, colStride: 1 };
    const c = new Float32Array(1);
    gemmF32(a, b, c, 0, 1, 1, 2, null);
    expect(c[0]).toBe(Math.fround(3 + Math.fround(2 * Math.fround(1 / 3))));
  });

  it('is what gemm runs for an f32 output when switched on, the TypeScript kernel when off', () => {
    const a = operand(3, 9, 40, false, 0, 0);
    const b = operand(4, 40, 11, true, 0, 0);
    const viaSimd = new Float32Array(99);
    const direct = new Float32Array(99);
    const viaTs = new Float32Array(99);
    const f64 = new Float64Array(99);
    setCpuSimd(true);
    gemm(a, b, viaSimd, 0, 9, 11, 40);
    gemmF32(a, b, direct, 0, 9, 11, 40, null);
    setCpuSimd(false);
    gemm(a, b, viaTs, 0, 9, 11, 40);
    setCpuSimd(null);
    gemm(a, b, f64, 0, 9, 11, 40);
    expect(Array.from(viaSimd)).toEqual(Array.from(direct));
    // Off, the TypeScript kernel sums in f64 and rounds once.
    expect(Array.from(viaTs)).toEqual(Array.from(f64, Math.fround));
  });
});
