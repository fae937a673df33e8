/**
 * The matrix-multiply core shared by matmul and attention: C = A * B for strided A [m, k] and
 * B [k, n] of any numeric typed array into a contiguous f32 or f64 C.
 *
 * An f32 C takes the WebAssembly SIMD kernel (wasm/gemm-f32.ts: f32 arithmetic) when the runtime
 * has SIMD and it is not switched off (`setCpuSimd`, HRM_CPU_SIMD=0). Otherwise, and always for
 * an f64 C (the gradient checks' oracle), the product is accumulated in f64 by the TypeScript
 * kernel below and rounded once to C's precision.
 *
 * Goto-style blocking: a KC x NC block of B and an MB x KC block of A are packed into f64 panels
 * (NR columns / MR rows wide, zero-padded at the edges), then a 4x4 register-blocked micro-kernel
 * with sixteen local accumulators runs down each pair of panels, MC rows of A at a time. Packing
 * makes the inner loop read both operands sequentially whatever the transposes, and keeps them in
 * cache. With threads installed, large products split the row blocks of each packed A.
 */
import { cpuSimdEnabled } from './wasm/features.js';
import { gemmF32, type WasmPanelJob } from './wasm/gemm-f32.js';

export interface MatrixView {
  data: ArrayLike<number>;
  offset: number;
  rowStride: number;
  colStride: number;
}

const MR = 4;
const NR = 4;
/** Lanes per packed panel: both operands are packed alike (MR = NR; the unrolled copy assumes 4). */
const PANEL = MR;
const KC = 512;
const MC = 64;
const NC = 1024;
/** Rows of A packed at once (and of C summed at once): one job for the threads, MC-row blocks within it. */
const MB = 1024;

/**
 * Splits a product's row blocks over threads that share the packed operands (the Node entry's
 * `startCpuThreads`). `run` returns once `computeBlocks` has covered every block of the job; each
 * element of C is computed by one thread in the same order whatever the split, so results do not
 * depend on it.
 */
export interface GemmThreads {
  readonly count: number;
  run(job: GemmJob): void;
}

/** A packed step for the threads: of the TypeScript f64 kernel or of the WebAssembly f32 one. */
export type GemmJob = PanelJob | WasmPanelJob;

/** One packed step of a product (up to MB rows of A times a KC x NC block of B) and where it adds into C. */
export interface PanelJob {
  kind: 'f64';
  aPack: Float64Array;
  bPack: Float64Array;
  c: Float64Array;
  /** Index in c of the block's element (0, 0). */
  cBase: number;
  ldc: number;
  m: number;
  nc: number;
  kc: number;
  /** Rows per block handed out by computeBlocks (a multiple of MR, at most MC). */
  blockRows: number;
}

/** Products below this many multiply-adds stay on the calling thread (waking workers costs more). */
const PARALLEL_MIN_WORK = 1 << 17;
let threads: GemmThreads | null = null;

/** Installs (or with null removes) the threads gemm splits large products over. */
export function setGemmThreads(pool: GemmThreads | null): void {
  threads = pool;
}

/**
 * Overwrites c[cOffset .. cOffset + m*n) (row-major, row length n) with A * B: on the f32 SIMD
 * kernel for an f32 c (see above), else accumulated in f64 and rounded once to c's precision.
 */
export function gemm(a: MatrixView, b: MatrixView, c: Float32Array | Float64Array, cOffset: number, m: number, n: number, k: number): void {
  if (c instanceof Float32Array && cpuSimdEnabled()) {
    gemmF32(a, b, c, cOffset, m, n, k, threads);
    return;
  }
  const pool = threads && threads.count > 1 && m * n * k >= PARALLEL_MIN_WORK && m > MR ? threads : null;
  const shared = pool !== null;
  // Sum in c itself when it is f64 and only this thread writes; otherwise in an f64 scratch block
  // (several KC passes into f32 must round once, and workers can only see shared memory), at most
  // MB x NC so that a large product does not hold a second copy of its output.
  const inPlace = c instanceof Float64Array && !pool;
  const aPack = scratch('a', Math.ceil(Math.min(m, MB) / MR) * MR * Math.min(k, KC), shared);
  const bPack = scratch('b', Math.ceil(Math.min(n, NC) / NR) * NR * Math.min(k, KC), shared);
  for (let ib = 0; ib < m; ib += MB) {
    const mb = Math.min(MB, m - ib);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const acc = inPlace ? c : scratch('c', mb * nc, shared);
      const base = inPlace ? cOffset + ib * n + jc : 0;
      const ldc = inPlace ? n : nc;
      for (let r = 0; r < mb; r++) acc.fill(0, base + r * ldc, base + r * ldc + nc);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(b, pc, jc, kc, nc, bPack);
        packA(a, ib, pc, mb, kc, aPack);
        // Several blocks per thread, so that one that starts late can be covered by the others.
        const blockRows = pool ? Math.min(MC, Math.ceil(mb / (4 * pool.count * MR)) * MR) : MC;
        const job: PanelJob = { kind: 'f64', aPack, bPack, c: acc, cBase: base, ldc, m: mb, nc, kc, blockRows };
        if (pool) pool.run(job);
        else {
          let next = 0;
          computeBlocks(job, () => next++);
        }
      }
      if (!inPlace) copyBlock(acc, c, cOffset + ib * n + jc, n, mb, nc);
    }
  }
}

/** c[at + r*ldc + j] = block[r*cols + j]: a finished block into the output, rounding to its precision. */
function copyBlock(block: Float64Array, c: Float32Array | Float64Array, at: number, ldc: number, rows: number, cols: number): void {
  if (cols === ldc) {
    c.set(block.subarray(0, rows * cols), at);
    return;
  }
  for (let r = 0; r < rows; r++) c.set(block.subarray(r * cols, (r + 1) * cols), at + r * ldc);
}

/**
 * Adds row blocks of the job's product into C until `claim` runs out of them: `claim()` returns
 * the next unclaimed block (threads share one counter, so a thread that starts late simply takes
 * fewer). A block is `blockRows` rows; within it every NR-column panel of B passes by its packed A.
 */
export function computeBlocks(job: PanelJob, claim: () => number): void {
  const { aPack, bPack, c, cBase, ldc, m, nc, kc, blockRows } = job;
  const tile = scratch('tile', MR * NR, false);
  for (let ic = claim() * blockRows; ic < m; ic = claim() * blockRows) {
    const icEnd = Math.min(ic + blockRows, m);
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = Math.min(NR, nc - jr);
      for (let ir = ic; ir < icEnd; ir += MR) {
        microKernel(aPack, ir * kc, bPack, jr * kc, kc, c, cBase + ir * ldc + jr, ldc, Math.min(MR, m - ir), cols, tile);
      }
    }
  }
}

// Scratch buffers reused across calls (gemm is synchronous and not re-entrant): allocating them per
// call was a large share of the cost on attention's per-head matrices. They keep their largest
// size; the ones worker threads read live in shared memory once threads are in use.
const empty = (): Float64Array => new Float64Array(0);
const buffers = { a: empty(), b: empty(), c: empty(), tile: empty() };

function scratch(name: keyof typeof buffers, size: number, shared: boolean): Float64Array {
  const current = buffers[name];
  if (current.length >= size && (!shared || current.buffer instanceof SharedArrayBuffer)) return current;
  const length = Math.max(size, current.length);
  buffers[name] = new Float64Array(shared ? new SharedArrayBuffer(length * 8) : new ArrayBuffer(length * 8));
  return buffers[name];
}

/** aPack[panel][kk][r] = A[i0 + panel*MR + r, p0 + kk], zero beyond the last row. */
function packA(a: MatrixView, i0: number, p0: number, mc: number, kc: number, aPack: Float64Array): void {
  packPanels(a.data, a.offset + i0 * a.rowStride + p0 * a.colStride, a.rowStride, a.colStride, mc, kc, aPack);
}

/** bPack[panel][kk][c] = B[p0 + kk, j0 + panel*NR + c], zero beyond the last column. */
function packB(b: MatrixView, p0: number, j0: number, kc: number, nc: number, bPack: Float64Array): void {
  packPanels(b.data, b.offset + p0 * b.rowStride + j0 * b.colStride, b.colStride, b.rowStride, nc, kc, bPack);
}

/**
 * Packs `extent` lanes (rows of A or columns of B, `laneStride` apart) into panels of PANEL lanes,
 * depth-major: out[panel][kk][lane], zero beyond the last lane. Full panels take an unrolled loop
 * without the edge test (packing was a tenth of the demo's training step).
 */
function packPanels(data: MatrixView['data'], base: number, laneStride: number, depthStride: number, extent: number, kc: number, out: Float64Array): void {
  let dst = 0;
  for (let lane0 = 0; lane0 < extent; lane0 += PANEL) {
    const lanes = Math.min(PANEL, extent - lane0);
    let src = base + lane0 * laneStride;
    if (lanes === PANEL) {
      const l1 = laneStride,
        l2 = 2 * laneStride,
        l3 = 3 * laneStride;
      for (let kk = 0; kk < kc; kk++, src += depthStride, dst += PANEL) {
        out[dst] = data[src]!;
        out[dst + 1] = data[src + l1]!;
        out[dst + 2] = data[src + l2]!;
        out[dst + 3] = data[src + l3]!;
      }
    } else {
      for (let kk = 0; kk < kc; kk++, src += depthStride) {
        for (let l = 0; l < PANEL; l++) out[dst++] = l < lanes ? data[src + l * laneStride]! : 0;
      }
    }
  }
}

/** c[rows x cols tile at cIndex] += (MR x kc panel of A) * (kc x NR panel of B). */
function microKernel(
  ap: Float64Array,
  ai: number,
  bp: Float64Array,
  bi: number,
  kc: number,
  c: Float64Array,
  cIndex: number,
  ldc: number,
  rows: number,
  cols: number,
  tile: Float64Array,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let kk = 0; kk < kc; kk++, ai += MR, bi += NR) {
    const a0 = ap[ai],
      a1 = ap[ai + 1],
      a2 = ap[ai + 2],
      a3 = ap[ai + 3];
    const b0 = bp[bi],
      b1 = bp[bi + 1],
      b2 = bp[bi + 2],
      b3 = bp[bi + 3];
    c00 += a0! * b0!;
    c01 += a0! * b1!;
    c02 += a0! * b2!;
    c03 += a0! * b3!;
    c10 += a1! * b0!;
    c11 += a1! * b1!;
    c12 += a1! * b2!;
    c13 += a1! * b3!;
    c20 += a2! * b0!;
    c21 += a2! * b1!;
    c22 += a2! * b2!;
    c23 += a2! * b3!;
    c30 += a3! * b0!;
    c31 += a3! * b1!;
    c32 += a3! * b2!;
    c33 += a3! * b3!;
  }
  if (rows === MR && cols === NR) {
    let i = cIndex;
    c[i]! += c00;
    c[i + 1]! += c01;
    c[i + 2]! += c02;
    c[i + 3]! += c03;
    i += ldc;
    c[i]! += c10;
    c[i + 1]! += c11;
    c[i + 2]! += c12;
    c[i + 3]! += c13;
    i += ldc;
    c[i]! += c20;
    c[i + 1]! += c21;
    c[i + 2]! += c22;
    c[i + 3]! += c23;
    i += ldc;
    c[i]! += c30;
    c[i + 1]! += c31;
    c[i + 2]! += c32;
    c[i + 3]! += c33;
    return;
  }
  // Edge tile: spill to a scratch tile and add only the valid rows and columns.
  tile[0] = c00;
  tile[1] = c01;
  tile[2] = c02;
  tile[3] = c03;
  tile[4] = c10;
  tile[5] = c11;
  tile[6] = c12;
  tile[7] = c13;
  tile[8] = c20;
  tile[9] = c21;
  tile[10] = c22;
  tile[11] = c23;
  tile[12] = c30;
  tile[13] = c31;
  tile[14] = c32;
  tile[15] = c33;
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col++) c[cIndex + r * ldc + col]! += tile[r * NR + col]!;
  }
}
