import type { WasmGemmKernel } from '../backends/cpu/wasm/gemm-f32.js';

/** The shared control words between the main thread and the gemm workers (indices into an Int32Array). */
export const Slot = {
  /** Incremented by the main thread for each job; workers wait on it. */
  generation: 0,
  /** Workers still computing the current job; the main thread waits on it. */
  pending: 1,
  /** Version of the shared buffers; a worker that lags reads the new ones from its port. */
  buffersVersion: 2,
  /** Non-zero: workers exit. */
  stop: 3,
  m: 4,
  nc: 5,
  kc: 6,
  ldc: 7,
  cBase: 8,
  blockRows: 9,
  /** The next unclaimed row block of the current job. */
  nextBlock: 10,
  /** The job's kernel: JobKind. */
  kind: 11,
  /** WebAssembly jobs: A's layout (0 packed, 1 rows), byte offsets in the kernel's memory of A, A's panels' stride and B (cBase is C's), 0 to overwrite C or 1 to add. */
  layout: 12,
  aBase: 13,
  aPanel: 14,
  bBase: 15,
  accumulate: 16,
} as const;
export const CONTROL_WORDS = 17;

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
