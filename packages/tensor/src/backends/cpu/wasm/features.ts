/**
 * What this runtime's WebAssembly supports, by validating tiny modules built with our emitter
 * (each answer is computed once). SIMD (f32x4) shipped everywhere in 2021; relaxed SIMD's fused
 * multiply-add is newer (V8 11.4+, so Node 20 only behind --experimental-wasm-relaxed-simd).
 */
import { readEnv } from '../../webgpu/env.js';
import { ModuleBuilder, type FunctionBuilder } from './emitter.js';

function validates(body: (f: FunctionBuilder<readonly []>) => void): boolean {
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!wasm) return false;
  const module = new ModuleBuilder();
  module.addFunction({ params: [], results: ['v128'] }, body, 'probe');
  try {
    return wasm.validate(module.build());
  } catch {
    return false;
  }
}

let simd: boolean | undefined;
let relaxed: boolean | undefined;

/** True when WebAssembly with 128-bit SIMD is available. */
export function simdSupported(): boolean {
  simd ??= validates((f) => f.f32.const(1).f32x4.splat().f32.const(2).f32x4.splat().f32x4.mul());
  return simd;
}

/** True when relaxed SIMD's f32x4.relaxed_madd validates now (not cached: see enableRelaxedSimd in the node entry). */
export function probeRelaxedSimd(): boolean {
  return (
    simdSupported() &&
    validates((f) => {
      for (const v of [1, 2, 3]) f.f32.const(v).f32x4.splat();
      f.f32x4.relaxed_madd();
    })
  );
}

/** True when relaxed SIMD's f32x4.relaxed_madd is available (answered once, when first asked). */
export function relaxedSimdSupported(): boolean {
  relaxed ??= probeRelaxedSimd();
  return relaxed;
}

let enabled: boolean | null = null;

/**
 * Turns the CPU backend's WebAssembly SIMD kernels off (false) or back on (true); null returns to
 * the default: on where SIMD is supported, unless the environment variable HRM_CPU_SIMD is 0.
 * Off, every CPU kernel runs its plain TypeScript version.
 */
export function setCpuSimd(on: boolean | null): void {
  enabled = on;
}

/** True when the CPU kernels should take their WebAssembly SIMD path now. */
export function cpuSimdEnabled(): boolean {
  const wanted = enabled ?? !['0', 'false'].includes(readEnv('HRM_CPU_SIMD') ?? '');
  return wanted && simdSupported();
}
