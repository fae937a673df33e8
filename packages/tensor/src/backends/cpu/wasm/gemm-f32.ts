/**
 * The f32 gemm on the WebAssembly SIMD micro-kernel (gemm-kernel.ts): f32 operands, f32
 * arithmetic. Goto-style blocking as in the TypeScript gemm: up to MB rows of A and a KC x NC
 * block of B are brought into the module's memory, the kernel sums that step into a C block there
 * (overwriting on the first k step, adding after), and the finished block is copied into the
 * output. B is packed into panels; A too, except that its rows, when contiguous and B is at most
 * 512 columns wide, are only copied (the kernel reads them in place). A block whose lanes (B's
 * columns, a transposed A's rows) are contiguous is copied row by row into a staging area and
 * packed there by the module (packLanes); other layouts are packed by a JavaScript loop (a wasm
 * gather measured no faster: README). Rows and columns past the edge are padding whose results are
 * never copied out.
 * The memory holds exactly one A, B, C and staging block, so it is allocated once at a fixed size and
 * never grows; a small product pays only its copies.
 *
 * With threads, the memory is a shared `WebAssembly.Memory`, every worker instantiates the same
 * module on it, and the row blocks of each step are claimed from a shared counter. Each element of
 * C is summed by one thread in one order (k ascending, KC at a time), so the result does not
 * depend on the thread count.
 */
import type { GemmThreads, MatrixView } from '../gemm.js';
import { relaxedSimdSupported } from './features.js';
import { type ALayout, gemmKernelModule, type GemmKernelShape } from './gemm-kernel.js';

/** Depth of a step: a KC x NR panel of B (8 KiB) stays in L1. */
const KC = 256;
/** The register tile: 4 x 8, 8 f32x4 accumulators (larger tiles spill under V8; README); A's row copies are KC apart. */
export const TILE: GemmKernelShape = { mr: 4, nr: 8, fma: true, aRowBytes: 4 * KC };
/** Columns of B brought in at once. */
const NC = 1024;
/** Rows of A brought in at once (rounded up to whole panels); the threads' job. */
const MB = 1024;
/** Rows per claimed block: an MC x KC block of A (192 KiB) stays in L2 while B's panels pass. */
const MC = 192;
/** Widest B block for which A's contiguous rows are copied rather than packed (measured; README). */
const COPY_A_MAX_COLS = 512;
/**
 * Products below this many multiply-adds stay on the calling thread: 2^21 take the kernel about
 * 50 us, the order of waking a sleeping worker (far more on a loaded machine). Attention's
 * per-head products (82 x 82 x 32 at 9x9-Sudoku scale) stay below it.
 */
const PARALLEL_MIN_WORK = 1 << 21;

const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** The module and memory a thread instantiates to run jobs. */
export interface WasmGemmKernel {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
}

/** A kernel instantiated in this thread: runs the row blocks of a job that `claim` hands out. */
export interface InstantiatedKernel extends WasmGemmKernel {
  run(job: WasmPanelJob, claim: () => number): void;
  /** The module's packLanesW for the tile's width W (MR or NR): see gemm-kernel.ts, byte offsets. */
  packLanes(width: number, src: number, ld: number, dst: number, kc: number, panels: number): void;
  /** The module's restride (gemm-kernel.ts), byte offsets and strides. */
  restride(src: number, srcStride: number, dst: number, dstStride: number, rows: number, vectors: number): void;
}

/** One step for the kernel: byte offsets and strides in the kernel's memory (see gemm-kernel.ts). */
export interface WasmPanelJob {
  kind: 'wasm';
  kernel: InstantiatedKernel;
  layout: ALayout;
  a: number;
  /** Bytes between A's MR-row panels. */
  aPanel: number;
  b: number;
  c: number;
  ldc: number;
  /** Rows (a multiple of the tile's rows) and columns (of its columns) of the C block. */
  rows: number;
  cols: number;
  kc: number;
  /** 0: overwrite the C block (first k step); 1: add to it. */
  accumulate: number;
  /** Rows per block handed out to a claim (a multiple of the tile's rows). */
  blockRows: number;
}

type PackFn = (src: number, ld: number, dst: number, kc: number, panels: number) => void;
type BlockFn = (a: number, aPanel: number, b: number, c: number, ldc: number, rows: number, cols: number, kc: number, accumulate: number) => void;

/** Instantiates the kernel's module on its memory in this thread. */
export function instantiateKernel(kernel: WasmGemmKernel): InstantiatedKernel {
  const instance = new WebAssembly.Instance(kernel.module, { env: { memory: kernel.memory } });
  const blocks: Record<ALayout, BlockFn> = { packed: instance.exports.blockPacked as BlockFn, rows: instance.exports.blockRows as BlockFn };
  return {
    module: kernel.module,
    memory: kernel.memory,
    packLanes: (width, src, ld, dst, kc, panels) => (instance.exports[`packLanes${width}`] as PackFn)(src, ld, dst, kc, panels),
    restride: instance.exports.restride as InstantiatedKernel['restride'],
    run(job, claim) {
      const { a, aPanel, b, c, ldc, rows, cols, kc, accumulate, blockRows } = job;
      const block = blocks[job.layout];
      for (let r = claim() * blockRows; r < rows; r = claim() * blockRows) {
        block(a + (r / TILE.mr) * aPanel, aPanel, b, c + r * ldc, ldc, Math.min(blockRows, rows - r), cols, kc, accumulate);
      }
    },
  };
}

const A_BYTES = roundUp(MB, TILE.mr) * KC * 4;
const B_BYTES = roundUp(NC, TILE.nr) * KC * 4;
const C_BYTES = roundUp(MB, TILE.mr) * roundUp(NC, TILE.nr) * 4;
/** Where a block of A or B is copied as it is, lanes contiguous, for packLanes to pack (one at a time). */
const STAGE_BYTES = Math.max(A_BYTES, B_BYTES);
const PAGES = Math.ceil((A_BYTES + B_BYTES + C_BYTES + STAGE_BYTES) / 65536);

/** The kernel instantiated here, with a Float32Array over its memory (which never grows). */
interface LocalKernel extends InstantiatedKernel {
  heap: Float32Array;
}

function createKernel(shared: boolean): LocalKernel {
  const shape = { ...TILE, fma: TILE.fma && relaxedSimdSupported() };
  const module = new WebAssembly.Module(gemmKernelModule(shape, { pages: PAGES, shared }));
  const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared });
  return { ...instantiateKernel({ module, memory }), heap: new Float32Array(memory.buffer) };
}

// Products on one thread keep to an unshared memory: JavaScript reads and writes a shared one
// (packing, copying out) several times slower, which small products feel most.
const kernels: { local?: LocalKernel; shared?: LocalKernel } = {};
const kernel = (shared: boolean): LocalKernel => (shared ? (kernels.shared ??= createKernel(true)) : (kernels.local ??= createKernel(false)));

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
  const [aAt, bAt, cAt] = [0, A_BYTES / 4, (A_BYTES + B_BYTES) / 4];
  const stageAt = (A_BYTES + B_BYTES + C_BYTES) / 4;
  const pack = (
    data: ArrayLike<number>,
    base: number,
    laneStride: number,
    depthStride: number,
    extent: number,
    kc: number,
    width: number,
    at: number,
  ): void => {
    if (laneStride === 1) {
      // Copy the block as it is (a row copy per k step), then pack it in the module.
      const ld = roundUp(extent, width);
      copyRows(data, base, depthStride, kc, extent, heap, stageAt, ld);
      if (ld > extent) for (let kk = 0; kk < kc; kk++) heap.fill(0, stageAt + kk * ld + extent, stageAt + (kk + 1) * ld);
      kern.packLanes(width, 4 * stageAt, 4 * ld, 4 * at, kc, ld / width);
    } else packPanels(data, base, laneStride, depthStride, extent, kc, width, heap, at);
  };
  /** A's rows [aFrom, + mb rows) x kc to the kernel's row stride at aAt: one block copy and a restride where they fit the stage. */
  const copyRowsOfA = (view: MatrixView, aFrom: number, mb: number, kc: number): void => {
    // From the first row's start to the last row's end (rows may be any stride apart, even overlap).
    const span = (mb - 1) * view.rowStride + kc;
    if (kc % 4 !== 0 || span > STAGE_BYTES / 4 || !ArrayBuffer.isView(view.data)) {
      copyRows(view.data, aFrom, view.rowStride, mb, kc, heap, aAt, KC);
      return;
    }
    heap.set((view.data as Float32Array | Float64Array).subarray(aFrom, aFrom + span), stageAt);
    kern.restride(4 * stageAt, 4 * view.rowStride, 4 * aAt, 4 * KC, mb, kc / 4);
  };
  for (let ib = 0; ib < m; ib += MB) {
    const mb = Math.min(MB, m - ib);
    const rows = roundUp(mb, mr);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const cols = roundUp(nc, nr);
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        const aFrom = a.offset + ib * a.rowStride + pc * a.colStride;
        const bFrom = b.offset + pc * b.rowStride + jc * b.colStride;
        // Contiguous rows of A are copied as they are for a narrow B: the kernel reads them in
        // place 7% slower than packed panels, which pays off only once every B panel rereads them.
        // B is always packed: its panels must be contiguous to stay in L1 (so must a transposed
        // A's: read in place, its 4-lane groups alias in cache).
        let layout: ALayout, aPanel: number;
        if (a.colStride === 1 && cols <= COPY_A_MAX_COLS) {
          copyRowsOfA(a, aFrom, mb, kc);
          for (let r = mb; r < rows; r++) heap.fill(0, aAt + r * KC, aAt + r * KC + kc);
          [layout, aPanel] = ['rows', mr * TILE.aRowBytes];
        } else {
          pack(a.data, aFrom, a.rowStride, a.colStride, mb, kc, mr, aAt);
          [layout, aPanel] = ['packed', 4 * mr * kc];
        }
        pack(b.data, bFrom, b.colStride, b.rowStride, nc, kc, nr, bAt);
        // Several blocks per thread, so that one that starts late can be covered by the others.
        const blockRows = pool ? Math.min(MC, roundUp(Math.ceil(rows / (4 * pool.count)), mr)) : MC;
        const accumulate = pc === 0 ? 0 : 1;
        const job: WasmPanelJob = {
          kind: 'wasm',
          kernel: kern,
          layout,
          a: 4 * aAt,
          aPanel,
          b: 4 * bAt,
          c: 4 * cAt,
          ldc: 4 * cols,
          rows,
          cols,
          kc,
          accumulate,
          blockRows,
        };
        if (pool) pool.run(job);
        else {
          let next = 0;
          kern.run(job, () => next++);
        }
      }
      copyRows(heap, cAt, cols, mb, nc, c, cOffset + ib * n + jc, n);
    }
  }
}

/**
 * Copies `count` rows of `length` elements, `from` row `fromStride` apart, into `to` at `at`,
 * rows `toStride` apart (one block copy when both are contiguous).
 */
function copyRows(
  from: ArrayLike<number>,
  start: number,
  fromStride: number,
  count: number,
  length: number,
  to: Float32Array,
  at: number,
  toStride: number,
): void {
  if (ArrayBuffer.isView(from)) {
    const typed = from as Float32Array | Float64Array;
    if (fromStride === length && toStride === length) {
      to.set(typed.subarray(start, start + count * length), at);
      return;
    }
    // A subarray per row copies faster than an element loop, even for rows of 16 (measured).
    for (let r = 0; r < count; r++) to.set(typed.subarray(start + r * fromStride, start + r * fromStride + length), at + r * toStride);
    return;
  }
  for (let r = 0; r < count; r++) {
    const src = start + r * fromStride;
    const dst = at + r * toStride;
    for (let j = 0; j < length; j++) to[dst + j] = from[src + j]!;
  }
}

/**
 * Packs `extent` lanes (rows of A or columns of B, `laneStride` apart) into panels of `width`
 * lanes, depth-major: out[at + panel*kc*width + kk*width + lane], zero beyond the last lane. A
 * full panel whose lanes or whose depth is contiguous in the source takes an unrolled copy;
 * otherwise one lane at a time (a k step at a time with a loop over the lanes was slower).
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
  for (let lane0 = 0, dst = at; lane0 < extent; lane0 += width, dst += width * kc) {
    const lanes = Math.min(width, extent - lane0);
    const from = base + lane0 * laneStride;
    if (lanes < width) out.fill(0, dst, dst + width * kc);
    if (lanes === width && laneStride === 1 && packContiguous(data, from, depthStride, kc, width, out, dst)) continue;
    if (lanes === width && depthStride === 1 && packInterleaved(data, from, laneStride, kc, width, out, dst)) continue;
    for (let l = 0; l < lanes; l++) {
      for (let kk = 0, src = from + l * laneStride, o = dst + l; kk < kc; kk++, src += depthStride, o += width) out[o] = data[src]!;
    }
  }
}

/**
 * One full panel of `width` lanes that are contiguous in the source (B's rows, Aᵀ's rows), a k
 * step at a time, unrolled for the tile's widths (false for another width): 1.3-1.4x faster than
 * lane by lane on attention's products and a transposed A (measured end to end).
 */
function packContiguous(data: ArrayLike<number>, src: number, depthStride: number, kc: number, width: number, out: Float32Array, o: number): boolean {
  if (width === 4) {
    for (let kk = 0; kk < kc; kk++, src += depthStride, o += 4) {
      out[o] = data[src]!;
      out[o + 1] = data[src + 1]!;
      out[o + 2] = data[src + 2]!;
      out[o + 3] = data[src + 3]!;
    }
    return true;
  }
  if (width === 8) {
    for (let kk = 0; kk < kc; kk++, src += depthStride, o += 8) {
      out[o] = data[src]!;
      out[o + 1] = data[src + 1]!;
      out[o + 2] = data[src + 2]!;
      out[o + 3] = data[src + 3]!;
      out[o + 4] = data[src + 4]!;
      out[o + 5] = data[src + 5]!;
      out[o + 6] = data[src + 6]!;
      out[o + 7] = data[src + 7]!;
    }
    return true;
  }
  return false;
}

/**
 * One full panel of `width` lanes `laneStride` apart whose depth is contiguous (A's rows, Bᵀ's
 * rows), a k step at a time, unrolled for the tile's widths (false for another width): 1.1x
 * faster than lane by lane on attention's scores product (measured end to end).
 */
function packInterleaved(data: ArrayLike<number>, src: number, laneStride: number, kc: number, width: number, out: Float32Array, o: number): boolean {
  const s = laneStride;
  if (width === 4) {
    for (let kk = 0; kk < kc; kk++, src++, o += 4) {
      out[o] = data[src]!;
      out[o + 1] = data[src + s]!;
      out[o + 2] = data[src + 2 * s]!;
      out[o + 3] = data[src + 3 * s]!;
    }
    return true;
  }
  if (width === 8) {
    for (let kk = 0; kk < kc; kk++, src++, o += 8) {
      out[o] = data[src]!;
      out[o + 1] = data[src + s]!;
      out[o + 2] = data[src + 2 * s]!;
      out[o + 3] = data[src + 3 * s]!;
      out[o + 4] = data[src + 4 * s]!;
      out[o + 5] = data[src + 5 * s]!;
      out[o + 6] = data[src + 6 * s]!;
      out[o + 7] = data[src + 7 * s]!;
    }
    return true;
  }
  return false;
}
