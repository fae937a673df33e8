/**
 * @hrm-webgpu/tensor: tensors with reverse-mode autodiff over pluggable backends (a CPU oracle
 * and hand-written WGSL on WebGPU). Browser-safe: Node-only helpers live in the `node` entry.
 */
import { installTensorMethods } from './methods.js';

installTensorMethods();

export type { AnyTypedArray, Backend, BackendName, CrossEntropyKind, DType, Storage } from './backend.js';
export { Tensor, type NestedArray } from './tensor.js';
export { backward } from './autodiff.js';
export { isGradEnabled, memory, noGrad, tidy, type MemoryInfo } from './runtime.js';
export { backendName, getBackend, setBackend, type SetBackendOptions } from './backends.js';
export { describeAdapterInfo, isCpuEmulatedAdapter, probeAdapter, type AdapterProbe } from './backends/webgpu/adapter-kind.js';
export { cpuSimdEnabled, setCpuSimd } from './backends/cpu/wasm/features.js';
export { profile, type KernelProfile, type ProfileOptions, type ProfileReport } from './profile.js';
export {
  arange,
  full,
  fullLike,
  ones,
  onesLike,
  rand,
  randn,
  tensor,
  truncNormal,
  zeros,
  zerosLike,
  type CreateOptions,
  type RandomOptions,
} from './ops/creation.js';
export {
  abs,
  add,
  cast,
  cos,
  div,
  eq,
  exp,
  floor,
  ge,
  gt,
  le,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  neg,
  pow,
  reciprocal,
  relu,
  rsqrt,
  scalar,
  sigmoid,
  sign,
  silu,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  where,
  type Operand,
} from './ops/elementwise.js';
export { all, any, argmax, argmin, max, mean, min, sum, sumToShape } from './ops/reduce.js';
export { concat, contiguous, expand, flatten, permute, reshape, slice, squeeze, stack, transpose, unsqueeze } from './ops/movement.js';
export { matmul, matmulT } from './ops/matmul.js';
export { embedding, gather } from './ops/indexing.js';
export * as nn from './ops/nn.js';
export { AdamATan2, AdamW, type AdamOptions, type AdamState } from './optim/adam.js';
export { SignSGD } from './optim/sign-sgd.js';
export { Rng, TRUNC_NORMAL_STD_CORRECTION, erf, erfinv, fillNormal, fillTruncNormal, fillUniform } from './random.js';
export { warmupCosineLr, type WarmupCosineOptions } from './schedule.js';
export {
  MAX_HEADER_BYTES,
  parseSafetensors,
  parseSafetensorsHeader,
  serializeSafetensors,
  SafetensorsError,
  type HeaderOptions,
  type LoadedTensor,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type SafetensorsHeaderEntry,
  type SafetensorsMap,
  type SafetensorsTensor,
  type StoredDtype,
} from './io/safetensors.js';
export { isTorchFile, parseTorchStateDict, TorchFileError } from './io/torch.js';
export { PickleError } from './io/pickle.js';
export { parseStateDictFile, stateDictFormat, type StateDictFormat } from './io/state-dict-file.js';

import type { Tensor } from './tensor.js';

/** Disposes one tensor or every tensor of a list. */
export function dispose(t: Tensor | readonly Tensor[]): void {
  for (const x of Array.isArray(t) ? t : [t as Tensor]) x.dispose();
}

/** Exempts t from tidy() scopes; the caller disposes it. */
export function keep<T extends Tensor>(t: T): T {
  return t.keep();
}
