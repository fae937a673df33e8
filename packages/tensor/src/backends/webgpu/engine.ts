/**
 * The WebGPU engine: storage, dispatch batching, readback, errors and profiling over one device.
 * Kernel modules (kernels/*.ts) build on this and nothing else; backend.ts maps the Backend
 * contract onto them.
 *
 * Public API, for kernel authors:
 * - `createStorage(dtype, size)`: a pooled GPU buffer of `size` elements (4 bytes each: f32, i32,
 *   and bool stored as u32 0/1). Contents are undefined (NaN / 0x7fffffff when `poison` is on).
 *   `release(storage)` returns it; the buffer is reused only after the GPU work using it is done.
 * - `dispatch(kernel, { defines, overrides, workgroups, inputs, outputs, uniforms })`: encodes
 *   one compute dispatch of a kernel described with `defineKernel` (kernel-spec.ts: its bindings,
 *   `Params` struct and workgroup size are generated from the description) into the shared command
 *   encoder. Operands and uniforms are named, as in the description. Dispatches are submitted in
 *   batches: on readback, on `flush()`/`sync()`, and every `MAX_DISPATCHES_PER_BATCH` dispatches.
 * - `variant(family)` / `setVariants({...})`: kernel variants forced on this engine (variants.ts);
 *   unset families are chosen by their kernel module.
 * - `grid(invocations, workgroupSize)`: workgroup counts for a 1D problem, folded into 2D when it
 *   exceeds the per-dimension limit; shaders recover the linear index as
 *   `gid.x + gid.y * (nwg.x * WORKGROUP_SIZE)` and guard it against the element count.
 * - `write(storage, data)`, `read(storage)` (async, bool as Uint8Array), `copyBuffer`, `sync()`.
 * - `profile(fn)`: per-kernel dispatch counts and GPU time, and bytes allocated during `fn`.
 * - `counters()`: running totals of the host-side work (dispatches, submits, encoding time, bind
 *   groups and buffers created, readbacks and the time spent waiting for them), for benchmarks.
 *
 * Errors: WGSL compile errors, validation errors and out-of-memory are recorded as they arrive
 * (labels carry kernel names) and thrown from the next engine call; device loss makes every
 * later call throw with the loss reason.
 */
import type { AnyTypedArray, DType, Storage } from '../../backend.js';
import { BindGroupCache } from './bind-groups.js';
import { BufferUsage, MapMode } from './gpu-flags.js';
import { packUniformValues, buildDefines, type AnyKernel, type ElementTypes, type Kernel, type KernelCall, type UniformTypes } from './kernel-spec.js';
import { PipelineCache } from './pipelines.js';
import { BufferPool, type PoolCounters, type PooledBuffer } from './pool.js';
import { Profiler, type ProfileReport } from './profiler.js';
import { checkVariants, type KernelVariants, type VariantFamily } from './variants.js';

/** Bytes per element on the GPU: every supported dtype is 32 bits wide there. */
export const GPU_ELEMENT_BYTES = 4;
export const MAX_DISPATCHES_PER_BATCH = 128;
const MAX_UNIFORM_BYTES_PER_DISPATCH = 256;

/** Poison bit patterns for freshly acquired buffers in poison mode (NaN for f32). */
const POISON: Record<GpuDType, number> = { f32: 0x7fc00001, i32: 0x7fffffff, bool: 0x7fffffff };

export type GpuDType = Exclude<DType, 'f64'>;

export class GpuStorage implements Storage {
  readonly backend = 'webgpu' as const;
  /** Null once released. */
  entry: PooledBuffer | null;

  constructor(
    readonly dtype: GpuDType,
    readonly size: number,
    entry: PooledBuffer,
  ) {
    this.entry = entry;
  }

  get buffer(): GPUBuffer {
    return this.live().buffer;
  }

  /** Bytes holding the elements (the buffer itself may be larger). */
  get byteLength(): number {
    return this.size * GPU_ELEMENT_BYTES;
  }

  live(): PooledBuffer {
    if (!this.entry) throw new Error(`webgpu: ${this.dtype}[${this.size}] storage used after it was freed`);
    return this.entry;
  }
}

export interface EngineOptions {
  /** Fill every freshly acquired buffer with a poison pattern (tests: catches unwritten outputs). */
  poison?: boolean;
  /** Use timestamp queries in profile() when the device has them (default true). */
  timestamps?: boolean;
  /** Printed in error messages, e.g. 'lavapipe (vulkan, core)'. */
  description?: string;
  /** Kernel variants to use instead of each family's own choice. */
  variants?: Partial<KernelVariants>;
}

/** Running totals of host-side work since the engine was created (see `counters()`). */
export interface EngineCounters {
  dispatches: number;
  submits: number;
  /** Milliseconds spent in dispatch(): validation, uniform packing, pipeline and bind group lookup, encoding. */
  encodeMs: number;
  bindGroupsCreated: number;
  /** GPU buffers created by the storage pool (a miss: no free buffer of the size class). */
  buffersCreated: number;
  readbacks: number;
  /** Milliseconds from a readback's request until its data was on the host (includes waiting for the GPU). */
  readbackMs: number;
}

/** Per-batch state: the open encoder, its uniform staging, and what it references. */
interface Batch {
  id: number;
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  dispatches: number;
  uniformBuffer: GPUBuffer | null;
  uniformBytes: Uint8Array<ArrayBuffer>;
  uniformUsed: number;
  kernels: string[];
}

export class WebGpuEngine {
  readonly limits: GPUSupportedLimits;
  readonly features: ReadonlySet<string>;
  readonly hasTimestamps: boolean;
  readonly poison: boolean;
  readonly description: string;

  private readonly pool: BufferPool;
  /** Mappable staging buffers for readback, reused: a fresh one per read costs as much as the copy. */
  private readonly readbackPool: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  private readonly uniformAlign: number;
  private readonly uniformCapacity: number;
  private readonly freeUniformBuffers: GPUBuffer[] = [];
  private batch: Batch | null = null;
  private nextBatchId = 1;
  private completedBatchId = 0;
  private lastSubmitted: Promise<void> = Promise.resolve();
  /** Buffers freed while a batch that used them was still pending, by that batch's id. */
  private readonly deferredFrees = new Map<number, PooledBuffer[]>();
  private pendingError: Error | null = null;
  private lostReason: string | null = null;
  private profiler: Profiler | null = null;
  private forcedVariants: Partial<KernelVariants>;
  private readonly totals = { dispatches: 0, submits: 0, encodeMs: 0, buffersCreated: 0, readbacks: 0, readbackMs: 0 };

  constructor(
    readonly device: GPUDevice,
    options: EngineOptions = {},
  ) {
    this.limits = device.limits;
    this.features = new Set(device.features);
    this.hasTimestamps = device.features.has('timestamp-query') && options.timestamps !== false;
    this.poison = options.poison ?? false;
    this.description = options.description ?? 'webgpu device';
    this.forcedVariants = { ...checkVariants(options.variants ?? {}) };
    this.uniformAlign = Math.max(MAX_UNIFORM_BYTES_PER_DISPATCH, device.limits.minUniformBufferOffsetAlignment);
    this.uniformCapacity = this.uniformAlign * MAX_DISPATCHES_PER_BATCH;
    this.pool = new BufferPool((bytes) => {
      this.totals.buffersCreated++;
      return this.createBuffer(bytes, 'pool', BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST);
    });
    this.readbackPool = new BufferPool((bytes) => this.createBuffer(bytes, 'readback', BufferUsage.MAP_READ | BufferUsage.COPY_DST));
    this.bindGroups = new BindGroupCache(device);
    // A failed build is the root cause of the validation errors that follow it: report it first.
    this.pipelines = new PipelineCache(device, (e) => (this.pendingError = e));
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.recordError(new Error(`WebGPU ${errorKind(error)}: ${error.message}`));
    });
    void device.lost.then((info) => {
      this.lostReason = `WebGPU device lost (${info.reason}): ${info.message || 'no message'}`;
    });
  }

  // ---------------------------------------------------------------- storage

  createStorage(dtype: DType, size: number): GpuStorage {
    this.check();
    const gpuDtype = expectGpuDtype(dtype);
    if (!Number.isInteger(size) || size < 0) throw new Error(`webgpu: invalid storage size ${size}`);
    const bytes = size * GPU_ELEMENT_BYTES;
    const maxBytes = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > maxBytes) {
      throw new Error(
        `webgpu: ${dtype}[${size}] needs ${bytes} bytes, more than this adapter binds in one buffer (${maxBytes}); use smaller tensors or the CPU backend`,
      );
    }
    const entry = this.pool.acquire(bytes);
    if (this.poison) this.fillPoison(entry, gpuDtype);
    return new GpuStorage(gpuDtype, size, entry);
  }

  /** Returns the storage's buffer to the pool once the GPU work that used it is done. */
  release(storage: Storage): void {
    const s = asGpuStorage(storage);
    const entry = s.live();
    s.entry = null;
    if (entry.lastBatch <= this.completedBatchId) {
      this.pool.release(entry);
      return;
    }
    const list = this.deferredFrees.get(entry.lastBatch);
    if (list) list.push(entry);
    else this.deferredFrees.set(entry.lastBatch, [entry]);
  }

  write(storage: Storage, data: AnyTypedArray): void {
    this.check();
    const s = asGpuStorage(storage);
    if (data.length !== s.size) throw new Error(`webgpu write: ${data.length} values for a ${s.dtype}[${s.size}] storage`);
    if (s.size === 0) return;
    const entry = s.live();
    // queue.writeBuffer runs before any dispatch still in the open encoder: submit those first.
    if (this.batch && entry.lastBatch === this.batch.id) this.flush();
    this.device.queue.writeBuffer(entry.buffer, 0, toGpuLayout(s.dtype, data));
  }

  /** Asynchronous readback of the whole storage (bool as Uint8Array of 0/1). */
  async read(storage: Storage): Promise<AnyTypedArray> {
    this.check();
    const s = asGpuStorage(storage);
    if (s.size === 0) return fromGpuLayout(s.dtype, new ArrayBuffer(0), this.poison);
    const started = performance.now();
    const staging = this.readbackPool.acquire(s.byteLength);
    const batch = this.openBatch();
    this.endPass(batch);
    const entry = s.live();
    batch.encoder.copyBufferToBuffer(entry.buffer, 0, staging.buffer, 0, s.byteLength);
    entry.lastBatch = batch.id;
    this.flush();
    try {
      await staging.buffer.mapAsync(MapMode.READ, 0, s.byteLength);
    } catch (e) {
      staging.buffer.destroy(); // not returned to the pool: its state is unknown
      await this.pipelines.settled();
      this.check();
      throw e;
    }
    const copy = staging.buffer.getMappedRange(0, s.byteLength).slice(0);
    staging.buffer.unmap();
    // Mapping completed, so the GPU is done with it: reusable at once.
    this.readbackPool.release(staging);
    this.totals.readbacks++;
    this.totals.readbackMs += performance.now() - started;
    this.check();
    return fromGpuLayout(s.dtype, copy, this.poison);
  }

  /** Encodes a buffer-to-buffer copy (byte offsets and length must be multiples of 4). */
  copyBuffer(src: Storage, srcElement: number, dst: Storage, dstElement: number, elements: number): void {
    this.check();
    if (elements === 0) return;
    const from = asGpuStorage(src).live();
    const to = asGpuStorage(dst).live();
    const batch = this.openBatch();
    this.endPass(batch);
    batch.encoder.copyBufferToBuffer(from.buffer, srcElement * GPU_ELEMENT_BYTES, to.buffer, dstElement * GPU_ELEMENT_BYTES, elements * GPU_ELEMENT_BYTES);
    from.lastBatch = to.lastBatch = batch.id;
  }

  memory(): PoolCounters {
    return this.pool.stats();
  }

  /** Frees pooled buffers that are not in use (e.g. between benchmark phases). */
  trimPool(): void {
    this.bindGroups.clear();
    this.pool.trim();
    this.readbackPool.trim();
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  counters(): EngineCounters {
    return { ...this.totals, bindGroupsCreated: this.bindGroups.created };
  }

  // ---------------------------------------------------------------- variants

  /** The variant forced for a kernel family, if any (else the family chooses). */
  variant<F extends VariantFamily>(family: F): KernelVariants[F] | undefined {
    return this.forcedVariants[family];
  }

  /** Forces variants per family (`undefined` hands a family back to its own choice). */
  setVariants(variants: Partial<Record<VariantFamily, string | undefined>>): void {
    this.forcedVariants = { ...this.forcedVariants, ...checkVariants(variants) };
  }

  // ---------------------------------------------------------------- dispatch

  /** Workgroup counts covering `invocations` threads, 2D when one dimension is not enough. */
  grid(invocations: number, workgroupSize: number): [number, number, number] {
    const groups = Math.ceil(invocations / workgroupSize);
    const maxPerDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= maxPerDim) return [groups, 1, 1];
    const y = Math.ceil(groups / maxPerDim);
    return [Math.ceil(groups / y), y, 1];
  }

  dispatch<I extends ElementTypes, O extends ElementTypes, U extends UniformTypes>(kernel: Kernel<I, O, U>, call: KernelCall<I, O, U>): void {
    this.check();
    const started = performance.now();
    const name = call.label ?? kernel.name + (call.suffix ?? '');
    const [x = 1, y = 1, z = 1] = call.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const maxPerDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxPerDim || y > maxPerDim || z > maxPerDim) {
      throw new Error(`webgpu kernel '${name}': workgroups [${x}, ${y}, ${z}] exceed ${maxPerDim} per dimension (use engine.grid)`);
    }
    const k = kernel as unknown as AnyKernel;
    const uniformData = k.uniformLayout.fields.length > 0 ? new Uint8Array(packUniformValues(k, call.uniforms)) : undefined;
    if (uniformData && uniformData.byteLength > MAX_UNIFORM_BYTES_PER_DISPATCH) {
      throw new Error(`webgpu kernel '${name}': ${uniformData.byteLength} uniform bytes, at most ${MAX_UNIFORM_BYTES_PER_DISPATCH}`);
    }
    const inputs = operands(k, 'inputs', call.inputs);
    const outputs = operands(k, 'outputs', call.outputs);
    const { pipeline, layout } = this.pipelines.get(
      { name, source: k.source, entryPoint: k.entryPoint, defines: buildDefines(k, call.defines ?? {}), overrides: call.overrides },
      { inputs: inputs.length, outputs: outputs.length, uniforms: uniformData !== undefined },
    );
    const buffers = [...inputs, ...outputs].map((s) => asGpuStorage(s).live());

    const batch = this.openBatch();
    let uniformOffset: number | null = null;
    if (uniformData) {
      uniformOffset = batch.uniformUsed;
      batch.uniformBytes.set(uniformData, uniformOffset);
      batch.uniformUsed += this.uniformAlign;
    }
    const bindGroup = this.bindGroups.get(
      layout,
      buffers.map((b) => b.buffer),
      uniformData && { buffer: this.uniformBufferOf(batch), size: uniformData.byteLength },
    );
    for (const b of buffers) b.lastBatch = batch.id;

    if (this.profiler) this.endPass(batch);
    const pass = this.profiler ? this.profiler.beginPass(batch.encoder, name) : this.passOf(batch);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup, uniformOffset === null ? [] : [uniformOffset]);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) pass.end();
    batch.dispatches++;
    batch.kernels.push(name);
    this.totals.dispatches++;
    this.totals.encodeMs += performance.now() - started;
    if (batch.dispatches >= MAX_DISPATCHES_PER_BATCH || this.profiler?.wantsFlush(batch.dispatches)) this.flush();
  }

  /** Submits everything encoded so far. */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    this.endPass(batch);
    if (batch.uniformBuffer && batch.uniformUsed > 0) {
      this.device.queue.writeBuffer(batch.uniformBuffer, 0, batch.uniformBytes, 0, batch.uniformUsed);
    }
    this.profiler?.beforeFinish(batch.encoder);
    const commands = batch.encoder.finish({ label: `batch ${batch.id}: ${summarize(batch.kernels)}` });
    const submittedAt = performance.now();
    this.device.queue.submit([commands]);
    this.totals.submits++;
    const done = this.device.queue.onSubmittedWorkDone().then(() => this.completeBatch(batch, submittedAt));
    this.lastSubmitted = done;
  }

  /** Submits pending work and waits until the GPU has finished all of it. */
  async sync(): Promise<void> {
    this.check();
    this.flush();
    await this.lastSubmitted;
    await this.pipelines.settled();
    await this.profiler?.settle();
    this.check();
  }

  // ---------------------------------------------------------------- profiling

  /**
   * Runs `fn` (which may be async) and reports, per kernel name, the dispatches and GPU time it
   * caused, plus the bytes newly allocated meanwhile. GPU time comes from timestamp queries when
   * the device has them; otherwise each dispatch is submitted alone and timed from submit to
   * completion (which includes submission overhead). Profiling serialises work: use it to study
   * kernels, not to measure end-to-end throughput.
   */
  async profile<T>(fn: () => T | Promise<T>): Promise<ProfileReport<T>> {
    if (this.profiler) throw new Error('webgpu: profile() calls cannot nest');
    await this.sync();
    const before = this.pool.stats().bytesAllocated;
    this.profiler = new Profiler(this.device, this.hasTimestamps);
    const profiler = this.profiler;
    try {
      const result = await fn();
      await this.sync();
      return { result, ...profiler.report(), bytesAllocated: this.pool.stats().bytesAllocated - before };
    } finally {
      this.flush();
      this.profiler = null;
      profiler.destroy();
    }
  }

  /** Releases pooled buffers and destroys the device. */
  destroy(): void {
    this.batch = null;
    this.bindGroups.clear();
    this.pool.trim();
    this.readbackPool.trim();
    for (const b of this.freeUniformBuffers) b.destroy();
    this.device.destroy();
  }

  // ---------------------------------------------------------------- internals

  private check(): void {
    if (this.lostReason) throw new Error(this.lostReason);
    const error = this.pendingError;
    if (error) {
      this.pendingError = null;
      throw error;
    }
  }

  private recordError(error: Error): void {
    // Keep the first error: later ones are usually consequences of it.
    this.pendingError ??= error;
  }

  private createBuffer(bytes: number, label: string, usage: GPUBufferUsageFlags): GPUBuffer {
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ label: `${label} ${bytes}`, size: bytes, usage });
    void this.device.popErrorScope().then((error) => {
      if (error) this.recordError(new Error(`WebGPU out of memory allocating a ${bytes}-byte buffer on ${this.description}: ${error.message}`));
    });
    return buffer;
  }

  private fillPoison(entry: PooledBuffer, dtype: GpuDType): void {
    // Safe to write at once: a pooled buffer is idle (it returned only after its last use completed).
    this.device.queue.writeBuffer(entry.buffer, 0, new Uint32Array(entry.bytes / 4).fill(POISON[dtype]));
  }

  private openBatch(): Batch {
    this.batch ??= {
      id: this.nextBatchId++,
      encoder: this.device.createCommandEncoder(),
      pass: null,
      dispatches: 0,
      uniformBuffer: null,
      uniformBytes: new Uint8Array(this.uniformCapacity),
      uniformUsed: 0,
      kernels: [],
    };
    return this.batch;
  }

  private passOf(batch: Batch): GPUComputePassEncoder {
    batch.pass ??= batch.encoder.beginComputePass();
    return batch.pass;
  }

  private endPass(batch: Batch): void {
    batch.pass?.end();
    batch.pass = null;
  }

  private uniformBufferOf(batch: Batch): GPUBuffer {
    batch.uniformBuffer ??=
      this.freeUniformBuffers.pop() ??
      this.device.createBuffer({ label: 'uniforms', size: this.uniformCapacity, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    return batch.uniformBuffer;
  }

  private completeBatch(batch: Batch, submittedAt: number): void {
    this.profiler?.batchDone(batch.kernels, performance.now() - submittedAt);
    this.completedBatchId = Math.max(this.completedBatchId, batch.id);
    if (batch.uniformBuffer) this.freeUniformBuffers.push(batch.uniformBuffer);
    for (const [id, entries] of this.deferredFrees) {
      if (id > this.completedBatchId) continue;
      for (const entry of entries) this.pool.release(entry);
      this.deferredFrees.delete(id);
    }
  }
}

export function asGpuStorage(storage: Storage): GpuStorage {
  if (!(storage instanceof GpuStorage)) {
    throw new Error(`webgpu: got a ${storage.backend} storage; move tensors to the webgpu backend first`);
  }
  return storage;
}

export function expectGpuDtype(dtype: DType): GpuDType {
  if (dtype === 'f64') {
    throw new Error("webgpu: dtype 'f64' is not supported on WebGPU (WGSL has no f64); use the CPU backend for f64 (e.g. gradient checks)");
  }
  return dtype;
}

/** WGSL element type holding a dtype. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  switch (expectGpuDtype(dtype)) {
    case 'f32':
      return 'f32';
    case 'i32':
      return 'i32';
    case 'bool':
      return 'u32';
  }
}

/** Host data as the GPU stores it (views of SharedArrayBuffer are accepted by writeBuffer too). */
function toGpuLayout(dtype: GpuDType, data: AnyTypedArray): Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> {
  switch (dtype) {
    case 'f32':
      return data instanceof Float32Array ? (data as Float32Array<ArrayBuffer>) : Float32Array.from(data);
    case 'i32':
      return data instanceof Int32Array ? (data as Int32Array<ArrayBuffer>) : Int32Array.from(data);
    case 'bool':
      return Uint32Array.from(data, (v) => (v !== 0 ? 1 : 0));
  }
}

function fromGpuLayout(dtype: GpuDType, bytes: ArrayBuffer, poison: boolean): AnyTypedArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(bytes);
    case 'i32':
      return new Int32Array(bytes);
    case 'bool': {
      const words = new Uint32Array(bytes);
      // A bool kernel writes 0 or 1; anything else is an element it never wrote.
      if (poison && words.some((w) => w > 1)) throw new Error('webgpu: bool storage holds unwritten (poisoned) elements');
      return Uint8Array.from(words, (w) => (w !== 0 ? 1 : 0));
    }
  }
}

/** A call's operands in the description's binding order (names checked: calls may be built dynamically). */
function operands(kernel: AnyKernel, side: 'inputs' | 'outputs', given: Readonly<Record<string, Storage>>): Storage[] {
  const names = Object.keys(kernel[side]);
  const unknown = Object.keys(given).filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`webgpu kernel '${kernel.name}': unknown ${side} ${unknown.join(', ')} (expected ${names.join(', ')})`);
  return names.map((n) => {
    const s = given[n];
    if (!s) throw new Error(`webgpu kernel '${kernel.name}': ${side.slice(0, -1)} '${n}' is missing`);
    return s;
  });
}

function errorKind(error: GPUError): string {
  const name = error.constructor?.name;
  if (name === 'GPUOutOfMemoryError') return 'out-of-memory error';
  if (name === 'GPUValidationError') return 'validation error';
  return 'error';
}

function summarize(kernels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of kernels) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k} x${n}` : k)).join(', ');
}
