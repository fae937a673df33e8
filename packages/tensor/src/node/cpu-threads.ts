/**
 * Worker threads for the CPU backend's matrix products (Node only). The calling thread packs the
 * operands into shared memory, announces the job on shared control words, claims row blocks like
 * every worker does, and blocks until the workers have finished theirs: gemm stays synchronous, as
 * every CPU kernel is.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { computeBlocks, type GemmJob, type GemmThreads, setGemmThreads } from '../backends/cpu/gemm.js';
import type { WasmGemmKernel } from '../backends/cpu/wasm/gemm-f32.js';
import { readEnv } from '../backends/webgpu/env.js';
import { type BuffersMessage, controlWords, doneSlot, type F64Buffers, JobKind, Slot, spinWhile, type WorkerSetup } from './gemm-protocol.js';

/** A worker that has not finished its share after this long is taken to be dead. */
const JOB_TIMEOUT_MS = 60_000;

class WorkerPool implements GemmThreads {
  private readonly words: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  /** What the workers were last sent for each kind of job. */
  private sentF64: F64Buffers | null = null;
  private sentKernel: WasmGemmKernel | null = null;
  private version = 0;

  constructor(readonly count: number) {
    this.words = new Int32Array(new SharedArrayBuffer(controlWords(count) * 4));
  }

  async start(): Promise<void> {
    for (let thread = 1; thread < this.count; thread++) {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { control: this.words.buffer as SharedArrayBuffer, thread, port: port2 };
      const worker = spawnWorker(setup);
      this.workers.push(worker);
      this.ports.push(port1);
      // The worker says 'ready' once its module has loaded (an error before that rejects).
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
      });
      worker.removeAllListeners();
      worker.unref();
      port1.unref();
    }
  }

  private announce(body: { f64: F64Buffers } | { wasm: WasmGemmKernel }): void {
    const message: BuffersMessage = { version: ++this.version, ...body };
    for (const port of this.ports) port.postMessage(message);
    Atomics.store(this.words, Slot.buffersVersion, this.version);
  }

  run(job: GemmJob): void {
    const w = this.words;
    if (job.kind === 'wasm') {
      if (this.sentKernel !== job.kernel) {
        this.sentKernel = job.kernel;
        this.announce({ wasm: { module: job.kernel.module, memory: job.kernel.memory } });
      }
      w[Slot.kind] = JobKind.wasm;
      w[Slot.layout] = job.layout === 'rows' ? 1 : 0;
      w[Slot.aBase] = job.a;
      w[Slot.aPanel] = job.aPanel;
      w[Slot.bBase] = job.b;
      w[Slot.cBase] = job.c;
      w[Slot.accumulate] = job.accumulate;
      w[Slot.m] = job.rows;
      w[Slot.nc] = job.cols;
    } else {
      const sent = this.sentF64;
      if (!sent || sent.aPack !== job.aPack || sent.bPack !== job.bPack || sent.c !== job.c) {
        this.sentF64 = { aPack: job.aPack, bPack: job.bPack, c: job.c };
        this.announce({ f64: this.sentF64 });
      }
      w[Slot.kind] = JobKind.f64;
      w[Slot.cBase] = job.cBase;
      w[Slot.m] = job.m;
      w[Slot.nc] = job.nc;
    }
    w[Slot.kc] = job.kc;
    w[Slot.ldc] = job.ldc;
    w[Slot.blockRows] = job.blockRows;
    Atomics.store(w, Slot.nextBlock, 0);
    const generation = Atomics.add(w, Slot.generation, 1) + 1;
    Atomics.notify(w, Slot.generation);
    const claim = () => Atomics.add(w, Slot.nextBlock, 1);
    if (job.kind === 'wasm') job.kernel.run(job, claim);
    else computeBlocks(job, claim);
    for (let thread = 1; thread < this.count; thread++) this.awaitWorker(thread, generation);
  }

  /** Blocks until worker `thread` has finished the job of `generation`. */
  private awaitWorker(thread: number, generation: number): void {
    const w = this.words;
    const slot = doneSlot(thread);
    spinWhile(() => Atomics.load(w, slot) !== generation);
    for (let done = Atomics.load(w, slot); done !== generation; done = Atomics.load(w, slot)) {
      if (Atomics.wait(w, slot, done, JOB_TIMEOUT_MS) === 'timed-out') {
        throw new Error(
          `cpu threads: gemm worker ${thread} did not finish job ${generation} within ${JOB_TIMEOUT_MS / 1000} s (its last finished job: ${done})`,
        );
      }
    }
  }

  async stop(): Promise<void> {
    Atomics.store(this.words, Slot.stop, 1);
    Atomics.add(this.words, Slot.generation, 1);
    Atomics.notify(this.words, Slot.generation);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/**
 * The built package runs gemm-worker.js beside this bundle. Run from source (tests, tsx) the
 * worker is TypeScript and must register tsx's loader itself: Node 20 workers ignore an
 * `--import tsx` in execArgv.
 */
function spawnWorker(setup: WorkerSetup): Worker {
  // No inherited execArgv: flags such as --input-type are refused in a worker.
  const options = { workerData: setup, transferList: [setup.port], execArgv: [] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./gemm-worker.js', import.meta.url), options);
  const source = new URL('./gemm-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { ...options, eval: true });
}

let pool: WorkerPool | null = null;

/** HRM_CPU_THREADS, else the machine's available parallelism (at most 8). */
export function defaultCpuThreads(): number {
  const raw = readEnv('HRM_CPU_THREADS');
  if (raw === undefined || raw === '') return Math.min(availableParallelism(), 8);
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) throw new Error(`HRM_CPU_THREADS must be a whole number of threads >= 1, found "${raw}".`);
  return count;
}

/**
 * Splits the CPU backend's large matrix products over `count` threads (the calling one included;
 * 1 turns threading off). Results are bit-identical whatever the count. Returns the count in use.
 */
export async function startCpuThreads(count = defaultCpuThreads()): Promise<number> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`startCpuThreads: count must be a whole number >= 1, found ${count}`);
  if (pool?.count === count) return count;
  await stopCpuThreads();
  if (count === 1) return 1;
  const started = new WorkerPool(count);
  try {
    await started.start();
  } catch (err) {
    await started.stop();
    throw new Error(`startCpuThreads: a gemm worker failed to start: ${(err as Error).message}`);
  }
  pool = started;
  setGemmThreads(pool);
  return count;
}

/** Threads the CPU backend's large products run on now (1: the calling thread only). */
export function cpuThreadCount(): number {
  return pool?.count ?? 1;
}

/** Back to single-threaded products; ends the workers. */
export async function stopCpuThreads(): Promise<void> {
  if (!pool) return;
  setGemmThreads(null);
  const stopping = pool;
  pool = null;
  await stopping.stop();
}
