/**
 * The WebGPU backend: the Backend contract mapped onto the engine and the kernel modules.
 *
 * `createWebGpuBackend(gpu)` picks an adapter (core, then compatibility) and rejects with the
 * reason when none works, so the caller can fall back to the CPU backend with a one-line notice.
 * Browser-safe: give it navigator.gpu, or `nodeGpu()` from dawn-node.ts in Node.
 *
 * Where it differs from the CPU oracle: no f64 (a clear error names the CPU backend); bool is
 * stored as one u32 per element and read back as 0/1 bytes; kernels cannot throw, so ids outside
 * [0, n) make gather write 0 and scatterAdd skip them, where the CPU backend throws; f32 sums
 * accumulate in f32 (pairwise for long rows), not f64.
 */
import type { Backend, DType } from '../../backend.js';
import { requestWebGpuDevice, type DeviceRequestOptions } from './device.js';
import { WebGpuEngine, expectGpuDtype, type EngineOptions } from './engine.js';
import { attention, attentionBackward } from './kernels/attention.js';
import { binary, cast, fill, unary, where } from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { crossEntropy, crossEntropyBackward } from './kernels/loss.js';
import { matmul, tuneMatmul } from './kernels/matmul.js';
import { copyRegion, stridedCopy } from './kernels/movement.js';
import { rmsNorm, rmsNormBackward } from './kernels/norm.js';
import { adamATan2Update, adamWUpdate, signSgdRows } from './kernels/optimizer.js';
import { packedAttention, packedAttentionBackward } from './kernels/packed-attention.js';
import { reduce } from './kernels/reduce.js';
import { rope } from './kernels/rope.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from './kernels/softmax.js';
import { swiglu, swigluBackward } from './kernels/swiglu.js';
import { checkVariants, variantsFromEnv, type KernelVariants, type VariantFamily } from './variants.js';

export interface WebGpuBackend extends Backend {
  readonly name: 'webgpu';
  readonly engine: WebGpuEngine;
  /** Adapter description and feature level, for notices and benchmark reports. */
  readonly description: string;
  /** Forces kernel variants per family (`undefined` hands a family back to the autotune/default). */
  setVariants(variants: Partial<Record<VariantFamily, string | undefined>>): void;
}

export type WebGpuBackendOptions = DeviceRequestOptions &
  Pick<EngineOptions, 'poison'> & {
    /** Time the matmul variants on this adapter first (about a second on lavapipe); tests skip it. */
    tuneMatmul?: boolean;
    /**
     * Kernel variants per family, e.g. `{ matmul: 'staged' }`, instead of the timed trial or the
     * adapter default. Unset families fall back to HRM_MATMUL_VARIANT, HRM_ATTENTION_LAYOUT and
     * HRM_ROW_LAYOUT (read here, once), then to the family's own choice.
     */
    variants?: Partial<KernelVariants>;
  };

export async function createWebGpuBackend(gpu: GPU | undefined, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const request = await requestWebGpuDevice(gpu, options);
  if (!request.ok) throw new Error(request.reason);
  const variants = { ...variantsFromEnv(), ...checkVariants(options.variants ?? {}) };
  const engine = new WebGpuEngine(request.device, { poison: options.poison, description: request.description, variants });
  if (options.tuneMatmul ?? true) await tuneMatmul(engine);
  return webGpuBackend(engine);
}

export function webGpuBackend(engine: WebGpuEngine): WebGpuBackend {
  // Kernel modules take the engine first, then exactly the Backend method's arguments.
  const bind =
    <A extends unknown[], R>(kernel: (engine: WebGpuEngine, ...args: A) => R) =>
    (...args: A): R =>
      kernel(engine, ...args);
  return {
    name: 'webgpu',
    engine,
    description: engine.description,
    setVariants: (variants) => engine.setVariants(variants),
    dtypes: ['f32', 'i32', 'bool'],

    alloc(dtype: DType, size: number) {
      // Fresh storages read as zeros, as on the CPU backend.
      return fill(engine, expectGpuDtype(dtype), size, 0);
    },
    free: (storage) => engine.release(storage),
    write: (storage, data) => engine.write(storage, data),
    read: (storage) => engine.read(storage),
    bytesAllocated: () => engine.memory().bytesInUse,

    fill: bind(fill),
    cast: bind(cast),
    stridedCopy: bind(stridedCopy),
    copyRegion: bind(copyRegion),
    unary: bind(unary),
    binary: bind(binary),
    where: bind(where),
    reduce: (op, x, outer, n, inner) => reduce(engine, op, x, outer, n, inner),
    matmul: (a, b, p) => matmul(engine, a, b, p),
    gather: bind(gather),
    scatterAdd: bind(scatterAdd),
    softmax: bind(softmax),
    logSoftmax: bind(logSoftmax),
    softmaxBackward: bind(softmaxBackward),
    logSoftmaxBackward: bind(logSoftmaxBackward),
    rmsNorm: bind(rmsNorm),
    rmsNormBackward: bind(rmsNormBackward),
    swiglu: bind(swiglu),
    swigluBackward: bind(swigluBackward),
    rope: bind(rope),
    attention: bind(attention),
    attentionBackward: bind(attentionBackward),
    packedAttention: bind(packedAttention),
    packedAttentionBackward: bind(packedAttentionBackward),
    crossEntropy: bind(crossEntropy),
    crossEntropyBackward: bind(crossEntropyBackward),
    adamATan2Update: bind(adamATan2Update),
    adamWUpdate: bind(adamWUpdate),
    signSgdRows: bind(signSgdRows),

    sync: () => engine.sync(),
  };
}
