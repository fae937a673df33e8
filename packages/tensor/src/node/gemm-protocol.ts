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
} as const;
export const CONTROL_WORDS = 11;

/** How long a waiting thread polls before it sleeps. */
const SPIN_MS = 0.3;

/** What a worker is started with. */
export interface WorkerSetup {
  control: SharedArrayBuffer;
  /** This worker's thread index (the main thread is 0). */
  thread: number;
  port: import('node:worker_threads').MessagePort;
}

/** The shared buffers of the jobs that follow, sent when they change. */
export interface BuffersMessage {
  version: number;
  aPack: Float64Array;
  bPack: Float64Array;
  c: Float64Array;
}

/**
 * Polls `busy` for up to SPIN_MS before the caller sleeps in Atomics.wait: products come in bursts
 * and waking from a wait takes tens of microseconds, a sizeable share of a small product.
 */
export function spinWhile(busy: () => boolean): void {
  const until = performance.now() + SPIN_MS;
  while (busy() && performance.now() < until);
}
