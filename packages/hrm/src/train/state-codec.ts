/**
 * Converts nested training state (the ACT carry, optimiser moments) to safetensors entries plus a
 * JSON skeleton, and back. Tensors and typed arrays become entries named by their path; numbers,
 * strings and booleans stay in the skeleton. Values round-trip exactly (f32, i32; bool and u8 as i32).
 */
import { Tensor, tensor, type SafetensorsTensor } from '@hrm-webgpu/tensor';

export type Skeleton =
  | null
  | number
  | string
  | boolean
  | Skeleton[]
  | { $tensor: string; dtype: Tensor['dtype'] }
  | { $array: string; type: ArrayKind }
  | { $object: Record<string, Skeleton> };

type ArrayKind = 'Float32Array' | 'Float64Array' | 'Int32Array' | 'Uint8Array';
const ARRAYS = { Float32Array, Float64Array, Int32Array, Uint8Array } as const;

export interface EncodedState {
  entries: Record<string, SafetensorsTensor>;
  skeleton: Skeleton;
}

function toEntry(data: ArrayLike<number>, shape: number[]): SafetensorsTensor {
  if (data instanceof Float32Array) return { dtype: 'f32', shape, data };
  if (data instanceof Float64Array) return { dtype: 'f64', shape, data };
  if (data instanceof Int32Array) return { dtype: 'i32', shape, data };
  return { dtype: 'i32', shape, data: Int32Array.from(data) };
}

export async function encodeState(value: unknown, prefix: string): Promise<EncodedState> {
  const entries: Record<string, SafetensorsTensor> = {};
  const walk = async (v: unknown, path: string): Promise<Skeleton> => {
    if (v instanceof Tensor) {
      entries[path] = toEntry((await v.data()) as ArrayLike<number>, [...v.shape]);
      return { $tensor: path, dtype: v.dtype };
    }
    for (const [kind, ctor] of Object.entries(ARRAYS)) {
      if (v instanceof ctor) {
        entries[path] = toEntry(v, [v.length]);
        return { $array: path, type: kind as ArrayKind };
      }
    }
    if (Array.isArray(v)) return Promise.all(v.map((x, i) => walk(x, `${path}.${i}`)));
    if (v === null || v === undefined) return null;
    if (typeof v === 'object') {
      const fields: Record<string, Skeleton> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) fields[k] = await walk(x, `${path}.${k}`);
      return { $object: fields };
    }
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
    throw new Error(`cannot save a ${typeof v} at ${path}`);
  };
  const skeleton = await walk(value, prefix);
  return { entries, skeleton };
}

/** Rebuilds what `encodeState` saved; tensors are created on the active backend. */
export function decodeState(skeleton: Skeleton, entries: Map<string, SafetensorsTensor>): unknown {
  const entry = (name: string) => {
    const e = entries.get(name);
    if (!e) throw new Error(`training checkpoint lacks tensor '${name}'`);
    return e;
  };
  const walk = (s: Skeleton): unknown => {
    if (s === null || typeof s !== 'object') return s;
    if (Array.isArray(s)) return s.map(walk);
    if ('$tensor' in s) {
      const e = entry(s.$tensor);
      return tensor(e.data, { shape: e.shape, dtype: s.dtype }).keep();
    }
    if ('$array' in s) return ARRAYS[s.type].from(entry(s.$array).data);
    return Object.fromEntries(Object.entries(s.$object).map(([k, v]) => [k, walk(v)]));
  };
  return walk(skeleton);
}
