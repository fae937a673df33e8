/**
 * Storage buffers recycled by size class, so that training steps stop allocating after the first.
 *
 * Classes are quarter steps between powers of two (256, 320, 384, 448, 512, 640, ...), so a
 * buffer wastes at most 25%; nothing is smaller than 256 bytes, which also gives zero-sized
 * tensors a real buffer to bind. The pool itself releases immediately: the engine calls
 * `release` only once the GPU work that used a buffer has completed.
 */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Size-class bytes of the GPU buffer (at least what was asked for). */
  readonly bytes: number;
  /** Id of the last command batch that used this buffer (0: never used). */
  lastBatch: number;
}

export interface PoolCounters {
  /** Bytes of every GPU buffer the pool holds, in use or free. */
  bytesAllocated: number;
  /** Bytes of the buffers currently handed out. */
  bytesInUse: number;
  /** Buffers currently handed out. */
  liveBuffers: number;
  /** Free buffers waiting for reuse. */
  pooledBuffers: number;
}

export const MIN_BUFFER_BYTES = 256;

export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BUFFER_BYTES) return MIN_BUFFER_BYTES;
  const quarter = 2 ** Math.floor(Math.log2(bytes - 1)) / 4;
  return Math.ceil(bytes / quarter) * quarter;
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private readonly counters: PoolCounters = { bytesAllocated: 0, bytesInUse: 0, liveBuffers: 0, pooledBuffers: 0 };

  /** `create` makes a GPU buffer of exactly the given size (the engine adds usage and error checks). */
  constructor(private readonly create: (bytes: number) => GPUBuffer) {}

  acquire(bytes: number): PooledBuffer {
    const cls = sizeClass(bytes);
    const reused = this.free.get(cls)?.pop();
    const entry = reused ?? { buffer: this.create(cls), bytes: cls, lastBatch: 0 };
    if (reused) this.counters.pooledBuffers--;
    else this.counters.bytesAllocated += cls;
    this.counters.bytesInUse += cls;
    this.counters.liveBuffers++;
    return entry;
  }

  release(entry: PooledBuffer): void {
    this.counters.bytesInUse -= entry.bytes;
    this.counters.liveBuffers--;
    this.counters.pooledBuffers++;
    const list = this.free.get(entry.bytes);
    if (list) list.push(entry);
    else this.free.set(entry.bytes, [entry]);
  }

  /** Destroys every free buffer (buffers in use are untouched). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const entry of list) {
        entry.buffer.destroy();
        this.counters.bytesAllocated -= entry.bytes;
      }
    }
    this.counters.pooledBuffers = 0;
    this.free.clear();
  }

  stats(): PoolCounters {
    return { ...this.counters };
  }
}
