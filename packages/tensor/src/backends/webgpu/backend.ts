/**
 * The WebGPU backend: the Backend contract mapped onto the engine and the kernel modules.
 *
 * `createWebGpuBackend(gpu)` picks an adapter (core, then compatibility) and rejects with the
 * reason when none works, so the caller can fall back to the CPU backend with a one-line notice.
 * Browser-safe: give it navigator.gpu, or `nodeGpu()` from dawn-node.ts in Node.
 */
import type { Backend, DType } from '../../backend.js';
import { requestWebGpuDevice, type DeviceRequestOptions } from './device.js';
import { WebGpuEngine, expectGpuDtype, type EngineOptions } from './engine.js';
import { binary, cast, fill, unary, where } from './kernels/elementwise.js';
import { gather, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { copyRegion, stridedCopy } from './kernels/movement.js';
import { reduce } from './kernels/reduce.js';

export interface WebGpuBackend extends Backend {
  readonly name: 'webgpu';
  readonly engine: WebGpuEngine;
  /** Adapter description and feature level, for notices and benchmark reports. */
  readonly description: string;
}

export type WebGpuBackendOptions = DeviceRequestOptions & Pick<EngineOptions, 'poison'>;

export async function createWebGpuBackend(gpu: GPU | undefined, options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const request = await requestWebGpuDevice(gpu, options);
  if (!request.ok) throw new Error(request.reason);
  const engine = new WebGpuEngine(request.device, { poison: options.poison, description: request.description });
  return webGpuBackend(engine);
}

/** Methods whose kernels have not landed yet throw this, naming the method. */
function missing(name: string): () => never {
  return () => {
    throw new Error(`not implemented on webgpu yet: ${name}`);
  };
}

export function webGpuBackend(engine: WebGpuEngine): WebGpuBackend {
  return {
    name: 'webgpu',
    engine,
    description: engine.description,
    dtypes: ['f32', 'i32', 'bool'],

    alloc(dtype: DType, size: number) {
      // Fresh storages read as zeros, as on the CPU backend.
      return fill(engine, expectGpuDtype(dtype), size, 0);
    },
    free: (storage) => engine.release(storage),
    write: (storage, data) => engine.write(storage, data),
    read: (storage) => engine.read(storage),
    bytesAllocated: () => engine.memory().bytesInUse,

    fill: (dtype, size, value) => fill(engine, dtype, size, value),
    cast: (x, to) => cast(engine, x, to),
    stridedCopy: (x, view) => stridedCopy(engine, x, view),
    copyRegion: (src, dst, rows, srcRowLen, dstRowLen, dstColOffset) => copyRegion(engine, src, dst, rows, srcRowLen, dstRowLen, dstColOffset),

    unary: (op, x) => unary(engine, op, x),
    binary: (op, a, aShape, b, bShape, outShape) => binary(engine, op, a, aShape, b, bShape, outShape),
    where: (cond, condShape, a, aShape, b, bShape, outShape) => where(engine, cond, condShape, a, aShape, b, bShape, outShape),
    reduce: (op, x, outer, n, inner) => reduce(engine, op, x, outer, n, inner),
    gather: (x, ids, outer, n, inner) => gather(engine, x, ids, outer, n, inner),
    scatterAdd: (src, ids, outer, n, inner) => scatterAdd(engine, src, ids, outer, n, inner),

    matmul: (a, b, p) => matmul(engine, a, b, p),
    softmax: missing('softmax'),
    logSoftmax: missing('logSoftmax'),
    softmaxBackward: missing('softmaxBackward'),
    logSoftmaxBackward: missing('logSoftmaxBackward'),
    rmsNorm: missing('rmsNorm'),
    rmsNormBackward: missing('rmsNormBackward'),
    swiglu: missing('swiglu'),
    swigluBackward: missing('swigluBackward'),
    rope: missing('rope'),
    attention: missing('attention'),
    attentionBackward: missing('attentionBackward'),
    crossEntropy: missing('crossEntropy'),
    crossEntropyBackward: missing('crossEntropyBackward'),
    adamATan2Update: missing('adamATan2Update'),
    adamWUpdate: missing('adamWUpdate'),
    signSgdRows: missing('signSgdRows'),

    sync: () => engine.sync(),
  };
}
