import type { WasmGemmKernel } from '../backends/cpu/wasm/gemm-f32.js';

/**
 * The shared control words between the main thread and the gemm workers (indices into an Int32Array),
 * followed by one word per worker thread (doneSlot): the generation of the last job it finished.
 */
export const Slot = {
  /** Incremented by the main thread for each job; workers wait on it. */
  generation: 0,
  /** Version of the shared buffers; a worker that lags reads the new ones from its port. */
  buffersVersion: 1,
  /** Non-zero: workers exit. */
  stop: 2,
  m: 3,
  nc: 4,
  kc: 5,
  ldc: 6,
  cBase: 7,
  blockRows: 8,
  /** The next unclaimed row block of the current job. */
  nextBlock: 9,
  /** The job's kernel: JobKind. */
  kind: 10,
  /** WebAssembly jobs: A's layout (0 packed, 1 rows), byte offsets in the kernel's memory of A, A's panels' stride and B (cBase is C's), 0 to overwrite C or 1 to add. */
  layout: 11,
  aBase: 12,
  aPanel: 13,
  bBase: 14,
  accumulate: 15,
} as const;
const CONTROL_WORDS = 16;

/**
 * Worker `thread`'s word: it stores there the generation of each job it has finished, and the main
 * thread waits until every worker's word holds the current one. Storing a generation (rather than
 * counting finished workers down) stays right whatever the order in which workers see jobs.
 */
export const doneSlot = (thread: number): number => CONTROL_WORDS + thread;

/** Control words for a pool of `threads` threads (the main one included). */
export const controlWords = (threads: number): number => CONTROL_WORDS + threads;

export const JobKind = { f64: 0, wasm: 1 } as const;

/** How long a waiting thread polls before it sleeps. */
const SPIN_MS = 0.3;

/** What a worker is started with. */
export interface WorkerSetup {
  control: SharedArrayBuffer;
  /** This worker's thread index (the main thread is 0). */
  thread: number;
  port: import('node:worker_threads').MessagePort;
}

/** The shared buffers of the TypeScript kernel's jobs that follow, sent when they change. */
export interface F64Buffers {
  aPack: Float64Array;
  bPack: Float64Array;
  c: Float64Array;
}

/**
 * What the jobs that follow run on, sent when it changes: the TypeScript kernel's buffers, or the
 * WebAssembly kernel (its module and shared memory) that the worker instantiates.
 */
export type BuffersMessage = { version: number } & ({ f64: F64Buffers } | { wasm: WasmGemmKernel });

/**
 * Polls `busy` for up to SPIN_MS before the caller sleeps in Atomics.wait: products come in bursts
 * and waking from a wait takes tens of microseconds, a sizeable share of a small product.
 */
export function spinWhile(busy: () => boolean): void {
  const until = performance.now() + SPIN_MS;
  while (busy() && performance.now() < until);
}
