/**
 * Process-wide engine state: the active backend, whether gradients are recorded, the stack of
 * `tidy` scopes and the live-tensor counters behind `memory()`. Everything that allocates goes
 * through `track`, so memory is released deterministically, never by the garbage collector.
 */
import type { Backend } from './backend.js';
import { createCpuBackend } from './backends/cpu/index.js';
import type { Tensor } from './tensor.js';

interface Runtime {
  backend: Backend | null;
  gradEnabled: boolean;
  scopes: Set<Tensor>[];
  liveTensors: number;
  liveBytes: number;
}

const state: Runtime = { backend: null, gradEnabled: true, scopes: [], liveTensors: 0, liveBytes: 0 };

/** Registers the backend used by new tensors. Tensors made earlier keep their own backend. */
export function useBackend(backend: Backend): void {
  state.backend = backend;
}

let cpu: Backend | null = null;

/** The process's CPU backend (one instance, created on first use). */
export function cpuBackend(): Backend {
  cpu ??= createCpuBackend();
  return cpu;
}

/** Runs fn with `backend` as the backend for new tensors, then restores the previous one. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const previous = state.backend;
  state.backend = backend;
  try {
    return fn();
  } finally {
    state.backend = previous;
  }
}

/** The backend for new tensors: the CPU until setBackend() chooses another. */
export function activeBackend(): Backend {
  state.backend ??= cpuBackend();
  return state.backend;
}

export function isGradEnabled(): boolean {
  return state.gradEnabled;
}

/** Runs fn without recording operations for autodiff (results have requiresGrad false). */
export function noGrad<T>(fn: () => T): T {
  const previous = state.gradEnabled;
  state.gradEnabled = false;
  try {
    return fn();
  } finally {
    state.gradEnabled = previous;
  }
}

/** Called by every Tensor constructor. */
export function track(t: Tensor, bytes: number): void {
  state.liveTensors++;
  state.liveBytes += bytes;
  state.scopes.at(-1)?.add(t);
}

/** Called exactly once per tensor by dispose(). */
export function untrack(t: Tensor, bytes: number): void {
  state.liveTensors--;
  state.liveBytes -= bytes;
  for (const scope of state.scopes) scope.delete(t);
}

/** Removes t from every open scope so that no tidy() disposes it. */
export function release(t: Tensor): void {
  for (const scope of state.scopes) scope.delete(t);
}

export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  tensors: number;
  /** Bytes those tensors view (views of one storage count once per tensor). */
  bytes: number;
  /** Bytes the active backend holds (storage actually allocated, pools excluded where known). */
  backendBytes: number;
}

export function memory(): MemoryInfo {
  return { tensors: state.liveTensors, bytes: state.liveBytes, backendBytes: state.backend?.bytesAllocated() ?? 0 };
}

/**
 * Runs fn in a scope: every tensor created inside is disposed when it returns, except the tensors
 * in its result (returned as-is: a tensor, or arrays / plain objects of tensors) and tensors
 * passed to keep(). fn must be synchronous, so that the scope cannot leak across an await.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy(fn): fn must be synchronous (it returned a Promise).');
  } catch (err) {
    for (const t of scope) if (!t.isDisposed) t.dispose(); // a failed step leaks nothing
    throw err;
  } finally {
    state.scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collectTensors(result, survivors);
  for (const t of scope) if (!survivors.has(t) && !t.isDisposed) t.dispose();
  const parent = state.scopes.at(-1);
  if (parent) for (const t of survivors) if (!t.isDisposed && !t.isKept) parent.add(t);
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value === null || typeof value !== 'object') return;
  if (isTensorLike(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, into);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collectTensors(v, into);
}

function isTensorLike(value: object): value is Tensor {
  return (value as { __tensor?: true }).__tensor === true;
}
