/** Test helpers of the attention kernels (attention.test.ts, packed-attention.test.ts). */
import type { AnyTypedArray } from '../../../backend.js';
import { expectClose } from '../test-utils.js';
import { availableAttentionLayouts, type AttentionLayout } from './attention.js';
import type { WebGpuBackend } from '../backend.js';

/**
 * Attention sums seqK (and headDim) f32 products per output where the CPU sums in f64: errors grow
 * like sqrt(terms) times the output's scale, so the absolute part is relative to the largest
 * expected magnitude. Infinities (lse of fully masked rows) must match exactly.
 */
export function expectAttentionClose(actual: AnyTypedArray, expected: AnyTypedArray, terms: number, what: string): void {
  let scale = 0;
  for (const e of expected) if (Number.isFinite(e)) scale = Math.max(scale, Math.abs(e));
  expectClose(actual, expected, { rtol: 1e-5, atol: 2e-6 * Math.sqrt(terms) * Math.max(scale, 1e-3) }, what);
}

/** The layouts to test: the engine's, or without an adapter the two every engine has (their suites are collected and skipped). */
export function testedAttentionLayouts(gpu: WebGpuBackend | null): readonly AttentionLayout[] {
  return gpu ? availableAttentionLayouts(gpu.engine) : ['single', 'blocked'];
}
