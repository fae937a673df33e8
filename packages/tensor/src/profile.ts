/**
 * profile(fn): which kernels a piece of work ran, how often and for how long, on every backend,
 * plus the time the autodiff walk took. For people who study the engine; on WebGPU it serialises
 * GPU work, so use it to compare kernels, not to time end-to-end throughput.
 *
 * On WebGPU the engine times each dispatch on the GPU. Elsewhere (the CPU backend) every kernel
 * method of the backend is wrapped in a timer while fn runs and restored afterwards, so the
 * engine pays nothing when it is not profiling. CPU kernels are synchronous: a kernel's time is
 * the time of its call (wall time, or the clock passed in), including the allocation of its output.
 */
import { type Backend, type BackendName, DTYPE_BYTES, type Storage } from './backend.js';
import type { WebGpuBackend } from './backends/webgpu/backend.js';
import { activeBackend } from './runtime.js';

export interface KernelProfile {
  /** Kernel launches: GPU dispatches on WebGPU, backend calls on the CPU. */
  dispatches: number;
  /** Milliseconds: GPU time on WebGPU, the call's wall time on the CPU. */
  ms: number;
}

export interface ProfileReport<T> {
  result: T;
  backend: BackendName;
  /** Per kernel name (a WGSL kernel on WebGPU; a backend method, with its op as `binary.add`, on the CPU). */
  kernels: Record<string, KernelProfile>;
  /** How kernel times were taken. */
  timing: 'timestamp-query' | 'submit-to-completion' | 'cpu-clock';
  /** Bytes of storage newly allocated while fn ran (WebGPU pool reuse costs nothing). */
  bytesAllocated: number;
  /** Milliseconds of the whole of fn, by the profile's clock. */
  totalMs: number;
  /**
   * Milliseconds inside backward() calls, and how much of that the CPU kernels took (null on
   * WebGPU, whose kernels run asynchronously): the difference is the autodiff walk's own cost.
   */
  autodiff: { calls: number; ms: number; kernelMs: number | null };
}

export interface ProfileOptions {
  /**
   * The clock of CPU kernel times, `totalMs` and `autodiff`, in milliseconds from any origin:
   * wall time (`performance.now`) by default. On a shared machine a CPU-time clock measures the
   * work rather than the waiting, e.g. in Node `() => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }`
   * (process-wide: fair while the work runs on one thread).
   */
  clock?: () => number;
}

/** What backward() reports to an active profile; null when none is running (the usual case). */
export interface AutodiffProbe {
  begin(): void;
  end(): void;
}

let probe: AutodiffProbe | null = null;

/** The active profile's autodiff probe, for autodiff.ts. */
export function autodiffProbe(): AutodiffProbe | null {
  return probe;
}

export async function profile<T>(fn: () => T | Promise<T>, opts: ProfileOptions = {}): Promise<ProfileReport<T>> {
  if (probe) throw new Error('profile(): profile calls cannot nest.');
  const backend = activeBackend();
  const clock = opts.clock ?? (() => performance.now());
  const session = new Session(backend, clock);
  probe = session;
  try {
    const start = clock();
    if (backend.name === 'webgpu') {
      const report = await (backend as WebGpuBackend).engine.profile(fn);
      const kernels = Object.fromEntries(Object.entries(report.kernels).map(([name, k]) => [name, { dispatches: k.dispatches, ms: k.gpuMs }]));
      return { ...report, kernels, backend: backend.name, totalMs: clock() - start, autodiff: session.autodiffReport(null) };
    }
    const restore = session.instrument();
    try {
      const result = await fn();
      const totalMs = clock() - start;
      return {
        result,
        backend: backend.name,
        kernels: session.kernelReport(),
        timing: 'cpu-clock',
        bytesAllocated: session.bytes,
        totalMs,
        autodiff: session.autodiffReport(session.kernelMsInBackward),
      };
    } finally {
      restore();
    }
  } finally {
    probe = null;
  }
}

/** Backend methods that are not kernels (memory management and readback). */
const NOT_KERNELS = new Set(['name', 'dtypes', 'free', 'read', 'bytesAllocated', 'sync']);
/** Methods whose first argument names the operation; profiled as `method.op`. */
const BY_OP = new Set(['unary', 'binary', 'reduce']);

class Session implements AutodiffProbe {
  private readonly kernels = new Map<string, KernelProfile>();
  bytes = 0;
  kernelMsInBackward = 0;
  private depth = 0;
  private calls = 0;
  private backwardMs = 0;
  private backwardStart = 0;

  constructor(
    private readonly backend: Backend,
    private readonly clock: () => number,
  ) {}

  begin(): void {
    if (this.depth++ === 0) this.backwardStart = this.clock();
    this.calls++;
  }

  end(): void {
    if (--this.depth === 0) this.backwardMs += this.clock() - this.backwardStart;
  }

  /** Replaces every kernel method of the backend by a timed call; returns the undo. */
  instrument(): () => void {
    const target = this.backend as unknown as Record<string, unknown>;
    const originals = new Map<string, (...args: unknown[]) => unknown>();
    for (const [name, value] of Object.entries(target)) {
      if (NOT_KERNELS.has(name) || typeof value !== 'function') continue;
      const kernel = value as (...args: unknown[]) => unknown;
      originals.set(name, kernel);
      target[name] = (...args: unknown[]) => {
        const start = this.clock();
        const out = kernel.apply(target, args);
        this.charge(BY_OP.has(name) ? `${name}.${String(args[0])}` : name, this.clock() - start, out);
        return out;
      };
    }
    return () => {
      for (const [name, kernel] of originals) target[name] = kernel;
    };
  }

  kernelReport(): Record<string, KernelProfile> {
    return Object.fromEntries([...this.kernels].map(([name, k]) => [name, { ...k }]));
  }

  autodiffReport(kernelMs: number | null): ProfileReport<unknown>['autodiff'] {
    return { calls: this.calls, ms: this.backwardMs, kernelMs };
  }

  private charge(name: string, ms: number, out: unknown): void {
    let entry = this.kernels.get(name);
    if (!entry) this.kernels.set(name, (entry = { dispatches: 0, ms: 0 }));
    entry.dispatches++;
    entry.ms += ms;
    if (this.depth > 0) this.kernelMsInBackward += ms;
    this.bytes += storageBytes(out);
  }
}

/** Bytes of the storages a kernel returned (one, a record of several, or none for in-place kernels). */
function storageBytes(out: unknown): number {
  if (out === null || typeof out !== 'object') return 0;
  if (isStorage(out)) return out.size * DTYPE_BYTES[out.dtype];
  let bytes = 0;
  for (const v of Object.values(out)) if (v !== null && typeof v === 'object' && isStorage(v)) bytes += v.size * DTYPE_BYTES[v.dtype];
  return bytes;
}

function isStorage(value: object): value is Storage {
  const s = value as Partial<Storage>;
  return typeof s.size === 'number' && typeof s.dtype === 'string' && typeof s.backend === 'string';
}
