/**
 * Kernel variant choice by timed trial, remembered per engine for the life of the process.
 *
 * Kernel calls are synchronous (they only encode work), so a trial cannot run inside one: a
 * kernel family exposes an async `tune*` function that times its variants on representative
 * shapes once (the backend runs it at start-up), and until then its calls use a heuristic default.
 */
import type { WebGpuEngine } from '../engine.js';

const choices = new WeakMap<WebGpuEngine, Map<string, string>>();

function table(engine: WebGpuEngine): Map<string, string> {
  let t = choices.get(engine);
  if (!t) choices.set(engine, (t = new Map()));
  return t;
}

/** The variant a trial chose for `key` (family and shape class) on this engine, if any. */
export function tunedVariant<V extends string>(engine: WebGpuEngine, key: string): V | undefined {
  return table(engine).get(key) as V | undefined;
}

export function rememberVariant(engine: WebGpuEngine, key: string, variant: string): void {
  table(engine).set(key, variant);
}

/** Adapters that run shaders on the CPU: no real workgroup memory, expensive barriers. */
export function isCpuEmulated(engine: WebGpuEngine): boolean {
  return /llvmpipe|lavapipe|swiftshader|software|cpu/i.test(engine.description);
}

export interface Candidate<V extends string> {
  variant: V;
  /** Encodes one run of the kernel (dispatches only). */
  run: () => void;
}

/**
 * Times each candidate (one untimed run first, which also compiles it) and returns the fastest by
 * median of `reps` runs, each from encode to GPU completion.
 */
export async function fastestVariant<V extends string>(engine: WebGpuEngine, candidates: readonly Candidate<V>[], reps = 3): Promise<V> {
  let best: { variant: V; ms: number } | null = null;
  for (const c of candidates) {
    c.run();
    await engine.sync();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const start = performance.now();
      c.run();
      await engine.sync();
      times.push(performance.now() - start);
    }
    times.sort((x, y) => x - y);
    const ms = times[Math.floor(times.length / 2)]!;
    if (!best || ms < best.ms) best = { variant: c.variant, ms };
  }
  if (!best) throw new Error('fastestVariant: no candidates');
  return best.variant;
}
