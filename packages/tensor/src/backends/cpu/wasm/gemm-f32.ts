/**
 * The f32 gemm on the WebAssembly SIMD micro-kernel (gemm-kernel.ts): f32 operands, f32
 * arithmetic. Goto-style blocking as in the TypeScript gemm: up to MB rows of A and a KC x NC
 * block of B are packed (zero-padded panels, whatever the strides) into the module's memory, the
 * kernel sums that step into a C block there (overwriting on the first k step, adding after), and
 * the finished block is copied into the output. The memory holds exactly one A, B and C block, so
 * it is allocated once at a fixed size and never grows; a small product pays only its packing.
 *
 * With threads, the memory is a shared `WebAssembly.Memory`, every worker instantiates the same
 * module on it, and the row blocks of each packed step are claimed from a shared counter. Each
 * element of C is summed by one thread in one order (k ascending, KC at a time), so the result
 * does not depend on the thread count.
 */
import type { GemmThreads, MatrixView } from '../gemm.js';
import { relaxedSimdSupported } from './features.js';
import { gemmKernelModule, type GemmKernelShape } from './gemm-kernel.js';

/** The register tile: 4 x 8 (8 f32x4 accumulators); see the tensor README for the shapes measured. */
export const TILE: GemmKernelShape = { mr: 4, nr: 8, unroll: 1, fma: true };
/** Depth of a packed step: a KC x NR panel of B (8 KiB) stays in L1. */
const KC = 256;
/** Columns of B packed at once. */
const NC = 1024;
/** Rows of A packed at once (rounded up to whole panels); the threads' job. */
const MB = 1024;
/** Rows per claimed block: an MC x KC block of A (192 KiB) stays in L2 while B's panels pass. */
const MC = 192;
/** Products below this many multiply-adds stay on the calling thread (waking workers costs more). */
const PARALLEL_MIN_WORK = 1 << 17;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** The module and memory a thread instantiates to run jobs. */
export interface WasmGemmKernel {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
}

/** A kernel instantiated in this thread: runs the row blocks of a job that `claim` hands out. */
export interface InstantiatedKernel extends WasmGemmKernel {
  run(job: WasmPanelJob, claim: () => number): void;
}

/** One packed step for the kernel: pointers (bytes) into the kernel's memory and the padded extent. */
export interface WasmPanelJob {
  kind: 'wasm';
  kernel: InstantiatedKernel;
  a: number;
  b: number;
  c: number;
  /** Rows (a multiple of the tile's rows) and columns (of its columns) of the C block. */
  rows: number;
  cols: number;
  kc: number;
  /** Bytes between rows of the C block. */
  ldc: number;
  /** 0: overwrite the C block (first k step); 1: add to it. */
  accumulate: number;
  /** Rows per block handed out to a claim (a multiple of the tile's rows). */
  blockRows: number;
}

type BlockFn = (a: number, b: number, c: number, rows: number, cols: number, kc: number, ldc: number, accumulate: number) => void;

/** Instantiates the kernel's module on its memory in this thread. */
export function instantiateKernel(kernel: WasmGemmKernel): InstantiatedKernel {
  const instance = new WebAssembly.Instance(kernel.module, { env: { memory: kernel.memory } });
  const block = instance.exports.block as BlockFn;
  return {
    module: kernel.module,
    memory: kernel.memory,
    run(job, claim) {
      const { a, b, c, rows, cols, kc, ldc, accumulate, blockRows } = job;
      for (let r = claim() * blockRows; r < rows; r = claim() * blockRows) {
        block(a + r * kc * 4, b, c + r * ldc, Math.min(blockRows, rows - r), cols, kc, ldc, accumulate);
      }
    },
  };
}

const A_BYTES = roundUp(MB, TILE.mr) * KC * 4;
const B_BYTES = roundUp(NC, TILE.nr) * KC * 4;
const C_BYTES = roundUp(MB, TILE.mr) * roundUp(NC, TILE.nr) * 4;
const PAGES = Math.ceil((A_BYTES + B_BYTES + C_BYTES) / 65536);

/** The kernel instantiated here, with a Float32Array over its memory (which never grows). */
interface LocalKernel extends InstantiatedKernel {
  shared: boolean;
  heap: Float32Array;
}

let local: LocalKernel | null = null;

/** The kernel for this product: on shared memory when threads will run it. */
function kernel(shared: boolean): LocalKernel {
  if (!local || (shared && !local.shared)) {
    const shape = { ...TILE, fma: TILE.fma && relaxedSimdSupported() };
    const module = new WebAssembly.Module(gemmKernelModule(shape, { pages: PAGES, shared }));
    const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared });
    local = { ...instantiateKernel({ module, memory }), shared, heap: new Float32Array(memory.buffer) };
  }
  return local;
}

/**
 * Overwrites c[cOffset .. cOffset + m*n) (row-major, row length n) with A * B in f32 arithmetic:
 * the operands are rounded to f32 as they are packed.
 */
export function gemmF32(a: MatrixView, b: MatrixView, c: Float32Array, cOffset: number, m: number, n: number, k: number, threads: GemmThreads | null): void {
  const { mr, nr } = TILE;
  if (k === 0) {
    c.fill(0, cOffset, cOffset + m * n);
    return;
  }
  const pool = threads && threads.count > 1 && m * n * k >= PARALLEL_MIN_WORK && m > mr ? threads : null;
  const kern = kernel(pool !== null);
  const heap = kern.heap;
  const aAt = 0;
  const bAt = A_BYTES;
  const cAt = A_BYTES + B_BYTES;
  for (let ib = 0; ib < m; ib += MB) {
    const mb = Math.min(MB, m - ib);
    const rows = roundUp(mb, mr);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const cols = roundUp(nc, nr);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packPanels(b.data, b.offset + pc * b.rowStride + jc * b.colStride, b.colStride, b.rowStride, nc, kc, nr, heap, bAt / 4);
        packPanels(a.data, a.offset + ib * a.rowStride + pc * a.colStride, a.rowStride, a.colStride, mb, kc, mr, heap, aAt / 4);
        // Several blocks per thread, so that one that starts late can be covered by the others.
        const blockRows = pool ? Math.min(MC, roundUp(Math.ceil(rows / (4 * pool.count)), mr)) : MC;
        const job: WasmPanelJob = { kind: 'wasm', kernel: kern, a: aAt, b: bAt, c: cAt, rows, cols, kc, ldc: cols * 4, accumulate: pc === 0 ? 0 : 1, blockRows };
        if (pool) pool.run(job);
        else {
          let next = 0;
          kern.run(job, () => next++);
        }
      }
      const block = cAt / 4;
      for (let r = 0; r < mb; r++) c.set(heap.subarray(block + r * cols, block + r * cols + nc), cOffset + (ib + r) * n + jc);
    }
  }
}

/**
 * Packs `extent` lanes (rows of A or columns of B, `laneStride` apart) into panels of `width`
 * lanes, depth-major: out[at + panel*kc*width + kk*width + lane], zero beyond the last lane.
 */
function packPanels(
  data: ArrayLike<number>,
  base: number,
  laneStride: number,
  depthStride: number,
  extent: number,
  kc: number,
  width: number,
  out: Float32Array,
  at: number,
): void {
  let dst = at;
  for (let lane0 = 0; lane0 < extent; lane0 += width) {
    const lanes = Math.min(width, extent - lane0);
    const panelBase = base + lane0 * laneStride;
    for (let l = 0; l < width; l++) {
      let o = dst + l;
      if (l >= lanes) {
        for (let kk = 0; kk < kc; kk++, o += width) out[o] = 0;
        continue;
      }
      let src = panelBase + l * laneStride;
      for (let kk = 0; kk < kc; kk++, src += depthStride, o += width) out[o] = data[src]!;
    }
    dst += width * kc;
  }
}
