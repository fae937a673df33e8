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

const DTYPES: readonly string[] = ['f32', 'f64', 'i32', 'bool'];
/** Deeper skeletons than any state this project saves are refused before they can exhaust the stack. */
const MAX_DEPTH = 32;

/**
 * Rebuilds what `encodeState` saved; tensors are created on the active backend. A skeleton or an
 * entry that does not have the saved form is an error naming `source` and the path in the state.
 */
export function decodeState(skeleton: Skeleton, entries: Map<string, SafetensorsTensor>, source = 'training checkpoint'): unknown {
  const fail = (path: string, message: string) => new Error(`${source}: state ${path}: ${message}`);
  const entry = (name: unknown, path: string) => {
    const e = typeof name === 'string' ? entries.get(name) : undefined;
    if (!e) throw fail(path, `lacks tensor '${String(name)}'`);
    return e;
  };
  const created: Tensor[] = [];
  const walk = (s: Skeleton, path: string, depth: number): unknown => {
    if (depth > MAX_DEPTH) throw fail(path, `nested deeper than ${MAX_DEPTH} levels`);
    if (s === null || typeof s === 'number' || typeof s === 'string' || typeof s === 'boolean') return s;
    if (Array.isArray(s)) return s.map((x, i) => walk(x, `${path}.${i}`, depth + 1));
    if (typeof s !== 'object') throw fail(path, `unexpected ${typeof s}`);
    if ('$tensor' in s) {
      if (!DTYPES.includes(s.dtype)) throw fail(path, `dtype must be one of ${DTYPES.join(', ')}, found ${JSON.stringify(s.dtype)}`);
      const e = entry(s.$tensor, path);
      try {
        const t = tensor(e.data, { shape: e.shape, dtype: s.dtype }).keep();
        created.push(t);
        return t;
      } catch (err) {
        throw fail(path, (err as Error).message);
      }
    }
    if ('$array' in s) {
      if (!Object.hasOwn(ARRAYS, s.type)) throw fail(path, `array type must be one of ${Object.keys(ARRAYS).join(', ')}, found ${JSON.stringify(s.type)}`);
      return ARRAYS[s.type].from(entry(s.$array, path).data);
    }
    if ('$object' in s && s.$object !== null && typeof s.$object === 'object' && !Array.isArray(s.$object)) {
      return Object.fromEntries(Object.entries(s.$object).map(([k, v]) => [k, walk(v, `${path}.${k}`, depth + 1)]));
    }
    throw fail(path, `expected a value, a list, {$tensor}, {$array} or {$object}, found ${JSON.stringify(s).slice(0, 60)}`);
  };
  try {
    return walk(skeleton, 'state', 0);
  } catch (e) {
    for (const t of created) t.dispose();
    throw e;
  }
}
