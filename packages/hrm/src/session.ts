/**
 * A one-call way to run a trained HRM in a web page, a worker, Deno or Node, in the spirit of
 * ONNX Runtime Web's InferenceSession (browser-safe: no Node built-ins in its import graph).
 *
 *   const session = await HRMSession.create(url, { onProgress });
 *   await session.solve(tokens, { onSegment: (s) => show(s.prediction, s.haltProbability) });
 *   session.dispose();
 *
 * The checkpoint is a safetensors file written by this project (its configuration is in the
 * metadata) or a `torch.save` state dict (the official checkpoints) with `configYaml` (the
 * `all_config.yaml` beside it) or `config`. The backend is WebGPU on a hardware adapter and the
 * CPU backend otherwise (a CPU-emulated adapter is slower than the CPU backend); `backend`
 * forces either.
 */
import { backendName, parseStateDictFile, probeAdapter, Rng, setBackend, stateDictFormat, type BackendName, type SafetensorsMap } from '@hrm-webgpu/tensor';
import { evaluateBatch } from './evaluate.js';
import { validateConfig, type HRMConfig } from './config.js';
import { IGNORE_LABEL_ID } from './data/dataset.js';
import { HRM } from './model/hrm.js';
import { officialConfigFromYaml } from './official-config.js';

export type SessionBackend = BackendName | 'auto';

export interface LoadProgress {
  /** 'download': bytes arriving; 'parse': decoding the tensors; 'build': the model on its backend. */
  phase: 'download' | 'parse' | 'build';
  loaded: number;
  /** Bytes in all, when known (a Content-Length, a Blob's size). */
  total?: number;
}

export interface CreateSessionOptions {
  /** Default 'auto'. */
  backend?: SessionBackend;
  /** The WebGPU entry point; default navigator.gpu. */
  gpu?: GPU;
  /** The model configuration (official field names) for checkpoints that store none. */
  config?: unknown;
  /** The text of an official `all_config.yaml`, for official checkpoints. */
  configYaml?: string;
  onProgress?: (progress: LoadProgress) => void;
  /** For URLs; default globalThis.fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Named in errors; default the URL or 'checkpoint'. */
  name?: string;
}

export interface SegmentUpdate {
  /** 1-based segment number. */
  segment: number;
  /** Argmax tokens, [seq_len]. */
  prediction: Int32Array;
  qHaltLogit: number;
  qContinueLogit: number;
  /** sigmoid(q_halt): the model's confidence that its answer is final. */
  haltProbability: number;
  /** True where training-mode ACT would stop here (q_halt > q_continue, or the last segment). */
  wouldHalt: boolean;
}

export interface SolveOptions {
  /** Segments to run, at most halt_max_steps (the default). */
  segments?: number;
  /** Puzzle identifier (default 0, the blank one). */
  puzzleIdentifier?: number;
  /** Called as each segment finishes, in order. */
  onSegment?: (update: SegmentUpdate) => void;
}

export type CheckpointSource = string | URL | ArrayBuffer | ArrayBufferView | Blob;

export class HRMSession {
  private disposed = false;

  private constructor(
    private readonly model: HRM,
    readonly config: HRMConfig,
    /** The backend the model lives on. */
    readonly backend: BackendName,
    /** The WebGPU adapter in use, or why the CPU backend was chosen. */
    readonly adapter: string,
  ) {}

  /** Loads a checkpoint from a URL, bytes or a Blob (a file input's File) and builds the model. */
  static async create(source: CheckpointSource, options: CreateSessionOptions = {}): Promise<HRMSession> {
    const name = options.name ?? (typeof source === 'string' || source instanceof URL ? String(source) : 'checkpoint');
    const bytes = await readSource(source, options);
    options.onProgress?.({ phase: 'parse', loaded: 0, total: bytes.length });
    const tensors = parseStateDictFile(bytes, name);
    options.onProgress?.({ phase: 'parse', loaded: bytes.length, total: bytes.length });
    const config = sessionConfig(tensors, stateDictFormat(bytes), name, options);
    const { backend, adapter } = await chooseBackend(options);
    options.onProgress?.({ phase: 'build', loaded: 0, total: tensors.size });
    const model = new HRM(config, { rng: new Rng(0) });
    try {
      model.loadStateDict(tensors, { source: name });
    } catch (e) {
      model.dispose();
      throw e;
    }
    options.onProgress?.({ phase: 'build', loaded: tensors.size, total: tensors.size });
    return new HRMSession(model, config, backend, adapter);
  }

  /** Runs the segments on one input sequence (seq_len tokens), reporting each as it finishes. */
  async solve(tokens: ArrayLike<number>, options: SolveOptions = {}): Promise<SegmentUpdate[]> {
    if (this.disposed) throw new Error('HRMSession.solve: the session was disposed');
    const { seq_len: seqLen, halt_max_steps: maxSegments } = this.config;
    if (tokens.length !== seqLen) throw new Error(`HRMSession.solve: the model takes ${seqLen} tokens, got ${tokens.length}`);
    const segments = Math.min(options.segments ?? maxSegments, maxSegments);
    if (!(segments >= 1)) throw new Error(`HRMSession.solve: segments must be at least 1, got ${options.segments}`);
    await setBackend(this.backend);
    const updates: SegmentUpdate[] = [];
    const batch = {
      size: 1,
      seqLen,
      inputs: Int32Array.from(tokens),
      labels: new Int32Array(seqLen).fill(IGNORE_LABEL_ID),
      puzzleIdentifiers: Int32Array.of(options.puzzleIdentifier ?? 0),
    };
    await evaluateBatch(this.model, batch, {
      onSegment: (s) => {
        if (s.segment >= segments) return;
        const qHalt = s.qHaltLogits[0]!;
        const qContinue = s.qContinueLogits[0]!;
        const update: SegmentUpdate = {
          segment: s.segment + 1,
          prediction: Int32Array.from(s.predictions),
          qHaltLogit: qHalt,
          qContinueLogit: qContinue,
          haltProbability: 1 / (1 + Math.exp(-qHalt)),
          wouldHalt: qHalt > qContinue || s.segment === maxSegments - 1,
        };
        updates.push(update);
        options.onSegment?.(update);
      },
    });
    return updates;
  }

  /** Frees the model's tensors (GPU buffers on WebGPU). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

function sessionConfig(tensors: SafetensorsMap, format: string, name: string, options: CreateSessionOptions): HRMConfig {
  if (options.config !== undefined) return validateConfig(options.config, `${name} (config option)`);
  if (options.configYaml !== undefined) return officialConfigFromYaml(options.configYaml, tensors, `${name} (all_config.yaml)`);
  const stored = tensors.metadata.hrm_config;
  if (stored !== undefined) return validateConfig(JSON.parse(stored), `${name} (stored configuration)`);
  throw new Error(`${name}: this ${format} file stores no configuration; pass configYaml (the all_config.yaml beside an official checkpoint) or config`);
}

async function chooseBackend(options: CreateSessionOptions): Promise<{ backend: BackendName; adapter: string }> {
  const choice = options.backend ?? 'auto';
  if (choice === 'cpu') return useCpu('the CPU backend was asked for');
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (choice === 'auto') {
    const probe = await probeAdapter(gpu);
    if (!probe) return useCpu('no WebGPU adapter');
    if (probe.emulated) return useCpu(`the WebGPU adapter (${probe.description}) is a CPU emulation, slower than the CPU backend`);
  }
  try {
    const backend = await setBackend('webgpu', gpu ? { gpu } : {});
    return { backend: backend.name, adapter: (backend as { description?: string }).description ?? 'WebGPU' };
  } catch (e) {
    if (choice === 'webgpu') throw e;
    return useCpu(`WebGPU failed: ${(e as Error).message}`);
  }
}

async function useCpu(reason: string): Promise<{ backend: BackendName; adapter: string }> {
  await setBackend('cpu');
  return { backend: backendName(), adapter: `CPU backend (${reason})` };
}

/** The checkpoint's bytes, reporting download progress for URLs and Blobs. */
async function readSource(source: CheckpointSource, options: CreateSessionOptions): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return readStream(source.stream(), source.size, options);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const response = await fetchFn(String(source), options.signal ? { signal: options.signal } : {});
  if (!response.ok) throw new Error(`${String(source)}: HTTP ${response.status} ${response.statusText}`);
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  return readStream(response.body, Number.isFinite(length) ? length : undefined, options);
}

async function readStream(stream: ReadableStream<Uint8Array>, total: number | undefined, options: CreateSessionOptions): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  options.onProgress?.({ phase: 'download', loaded, ...(total !== undefined ? { total } : {}) });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    options.onProgress?.({ phase: 'download', loaded, ...(total !== undefined ? { total } : {}) });
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
