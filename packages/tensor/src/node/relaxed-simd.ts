/**
 * Relaxed SIMD in Node 20. Its V8 (11.3) implements relaxed SIMD but ships it behind
 * --experimental-wasm-relaxed-simd (on by default from V8 11.4, Chrome 114, Node 22). The CPU
 * gemm's fused multiply-add takes an HRM training step's products from about 48 to 52 GFLOP/s
 * (package README), so the node entry turns the flag on at import when the runtime does not
 * already validate relaxed instructions, before any kernel is compiled. V8 reads its wasm feature
 * flags when it validates a module, so setting one at run time applies to every module compiled
 * after it, in every thread. HRM_CPU_RELAXED_SIMD=0 leaves the flag alone (mul + add kernels).
 */
import v8 from 'node:v8';
import { probeRelaxedSimd } from '../backends/cpu/wasm/features.js';
import { readEnv } from '../backends/webgpu/env.js';

const FLAG = '--experimental-wasm-relaxed-simd';

/** Turns on V8's relaxed SIMD flag where it is off and needed; true when relaxed SIMD validates after. */
export function enableRelaxedSimd(): boolean {
  if (['0', 'false'].includes(readEnv('HRM_CPU_RELAXED_SIMD') ?? '')) return probeRelaxedSimd();
  if (probeRelaxedSimd()) return true;
  v8.setFlagsFromString(FLAG);
  return probeRelaxedSimd();
}
