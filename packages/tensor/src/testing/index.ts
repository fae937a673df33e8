/**
 * @hrm-webgpu/tensor/testing: the helpers every test suite shares. Closeness checks, storages
 * from host numbers, the f64 finite-difference gradient checks (of ops, and of backward kernels),
 * seeded data and size arbitraries, the op-case catalogue, and the backends a suite runs on (the
 * CPU, plus WebGPU where Dawn finds an adapter: skipped with a notice without one, a failure under
 * HRM_REQUIRE_WEBGPU=1). Imports vitest and fast-check: for tests only.
 */
export { expectClose, hostIO, relativeError, storageOf, type Tolerance } from './compare.js';
export { cpuData, expectGradient, gradCheck, materialize, numericGradient, type GradCheckResult } from './gradcheck.js';
export { awkwardSize, floatDtype, seedArb, seeded, seededInts, smallSize } from './seeded.js';
export { OP_CASES, randomValues, type CaseInput, type OpCase } from './op-cases.js';
export { backendsForTests, webgpuForTests } from './backends.js';
export { startWebGpuForTests, webgpuRequired } from './require-webgpu.js';
