/**
 * Per-kernel GPU timing for `engine.profile(fn)`.
 *
 * With `timestamp-query`, every dispatch gets its own compute pass whose `timestampWrites`
 * bracket it (WebGPU has no timestamps inside a pass); the queries of a batch are resolved at its
 * end and read back once the batch completes. Without it, the engine submits each dispatch alone
 * and the time from submit to completion is charged to its kernel.
 */
import { BufferUsage, MapMode } from './gpu-flags.js';

export interface KernelProfile {
  dispatches: number;
  /** Milliseconds of GPU time. */
  gpuMs: number;
}

export interface ProfileReport<T> {
  result: T;
  kernels: Record<string, KernelProfile>;
  timing: 'timestamp-query' | 'submit-to-completion';
  /** Bytes of GPU buffers newly allocated while fn ran (pool reuse costs nothing). */
  bytesAllocated: number;
}

const QUERY_CAPACITY = 256;

interface ResolvedBatch {
  names: string[];
  resolve: GPUBuffer | null;
  staging: GPUBuffer | null;
}

export class Profiler {
  private readonly kernels = new Map<string, KernelProfile>();
  private readonly querySet: GPUQuerySet | null;
  private batchNames: string[] = [];
  private readonly submitted: ResolvedBatch[] = [];
  private readonly reads: Promise<void>[] = [];

  constructor(
    private readonly device: GPUDevice,
    timestamps: boolean,
  ) {
    this.querySet = timestamps ? device.createQuerySet({ label: 'profiler', type: 'timestamp', count: QUERY_CAPACITY }) : null;
  }

  beginPass(encoder: GPUCommandEncoder, name: string): GPUComputePassEncoder {
    const index = this.batchNames.length * 2;
    this.batchNames.push(name);
    this.entry(name).dispatches++;
    if (!this.querySet) return encoder.beginComputePass({ label: name });
    return encoder.beginComputePass({
      label: name,
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 },
    });
  }

  /** Whether the engine must submit now: always without timestamps, else when the queries are full. */
  wantsFlush(dispatchesInBatch: number): boolean {
    return !this.querySet || dispatchesInBatch * 2 >= QUERY_CAPACITY;
  }

  beforeFinish(encoder: GPUCommandEncoder): void {
    const names = this.batchNames;
    this.batchNames = [];
    if (!this.querySet || names.length === 0) {
      this.submitted.push({ names, resolve: null, staging: null });
      return;
    }
    const bytes = names.length * 2 * 8;
    const resolve = this.device.createBuffer({ label: 'timestamps', size: bytes, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ label: 'timestamps readback', size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, names.length * 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
    this.submitted.push({ names, resolve, staging });
  }

  /** Called in submission order as each batch completes, with its wall time from submit. */
  batchDone(kernels: readonly string[], submitToDoneMs: number): void {
    const batch = this.submitted.shift();
    if (!batch) return;
    if (!batch.staging) {
      if (!this.querySet && kernels.length === 1) this.entry(kernels[0]!).gpuMs += submitToDoneMs;
      return;
    }
    batch.resolve?.destroy();
    const staging = batch.staging;
    this.reads.push(
      staging.mapAsync(MapMode.READ).then(() => {
        const stamps = new BigUint64Array(staging.getMappedRange());
        batch.names.forEach((name, i) => {
          const ns = stamps[2 * i + 1]! - stamps[2 * i]!;
          this.entry(name).gpuMs += Number(ns) / 1e6;
        });
        staging.unmap();
        staging.destroy();
      }),
    );
  }

  async settle(): Promise<void> {
    await Promise.all(this.reads);
  }

  report(): Pick<ProfileReport<unknown>, 'kernels' | 'timing'> {
    return {
      kernels: Object.fromEntries([...this.kernels].map(([name, k]) => [name, { ...k }])),
      timing: this.querySet ? 'timestamp-query' : 'submit-to-completion',
    };
  }

  destroy(): void {
    this.querySet?.destroy();
  }

  private entry(name: string): KernelProfile {
    let entry = this.kernels.get(name);
    if (!entry) this.kernels.set(name, (entry = { dispatches: 0, gpuMs: 0 }));
    return entry;
  }
}
