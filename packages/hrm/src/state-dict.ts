/**
 * State-dict key mapping (spec section 8). Keys inside the model are the official ones without
 * prefix; official checkpoints carry `model.inner.` (or `_orig_mod.model.inner.` when saved from
 * a torch.compile'd model), and `inner.` appears in some exports. Loading accepts any of these,
 * widens f16/bf16 (the safetensors reader already did) and checks every key and shape before
 * touching a single weight.
 */
import { type Tensor, cast, noGrad, tensor, tidy } from '@hrm-webgpu/tensor';

/** Longest first, so that `_orig_mod.model.inner.` is not mistaken for a key starting with it. */
export const OFFICIAL_PREFIXES = ['_orig_mod.model.inner.', 'model.inner.', 'inner.'] as const;
/** Prefix of checkpoints written here: the one the official code writes without torch.compile. */
export const DEFAULT_PREFIX = 'model.inner.';

/** A tensor on the host, as `parseSafetensors` returns them. */
export interface HostTensor {
  dtype: 'f32' | 'f64' | 'i32';
  shape: readonly number[];
  data: Float32Array | Float64Array | Int32Array;
}

export type StateDictValue = Tensor | HostTensor;
export type StateDictEntries = ReadonlyMap<string, StateDictValue> | Readonly<Record<string, StateDictValue>>;

/** The key without its official prefix (keys without one are returned as they are). */
export function stripOfficialPrefix(key: string): string {
  const prefix = OFFICIAL_PREFIXES.find((p) => key.startsWith(p));
  return prefix ? key.slice(prefix.length) : key;
}

const isTensor = (v: StateDictValue): v is Tensor => (v as { __tensor?: true }).__tensor === true;
const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const MAX_LISTED = 20;
const list = (keys: string[]) => keys.slice(0, MAX_LISTED).join(', ') + (keys.length > MAX_LISTED ? `, ... (${keys.length} in all)` : '');

/**
 * Copies entries into `targets` (key -> model tensor). Every target must be present exactly once,
 * with its shape and a floating dtype; nothing is written unless all of them check out.
 */
export function loadStateDictInto(targets: ReadonlyMap<string, Tensor>, entries: StateDictEntries, source: string): void {
  const pairs: [string, StateDictValue][] = entries instanceof Map ? [...entries.entries()] : Object.entries(entries);
  const byKey = new Map<string, StateDictValue>();
  const problems: string[] = [];
  const unexpected: string[] = [];
  for (const [rawKey, value] of pairs) {
    const key = stripOfficialPrefix(rawKey);
    if (!targets.has(key)) unexpected.push(rawKey);
    else if (byKey.has(key)) problems.push(`key "${key}" appears twice (under different prefixes)`);
    else byKey.set(key, value);
  }
  const missing = [...targets.keys()].filter((k) => !byKey.has(k));
  if (missing.length > 0) problems.push(`missing key(s): ${list(missing)}`);
  if (unexpected.length > 0) problems.push(`unexpected key(s): ${list(unexpected)}`);
  for (const [key, value] of byKey) {
    const target = targets.get(key)!;
    if (value.shape.length !== target.shape.length || value.shape.some((d, i) => d !== target.shape[i])) {
      problems.push(`key "${key}": shape expected ${fmt(target.shape)}, found ${fmt(value.shape)}`);
    } else if (value.dtype !== 'f32' && value.dtype !== 'f64') {
      problems.push(`key "${key}": dtype expected a float (f32, f64, f16 or bf16), found ${value.dtype}`);
    }
  }
  if (problems.length > 0) throw new Error(`${source}: the state dict does not match the model configuration: ${problems.join('; ')}.`);

  tidy(() =>
    noGrad(() => {
      for (const [key, value] of byKey) {
        const target = targets.get(key)!;
        const source = isTensor(value) ? cast(value, target.dtype) : tensor(value.data, { shape: value.shape, dtype: target.dtype });
        target.assign(source);
      }
    }),
  );
}
