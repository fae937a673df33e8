/**
 * The model's weights as safetensors entries under the official key names (`model.inner.*`),
 * loading them back (any official prefix; the model checks every key and shape), and what a
 * checkpoint file holds: its prefix and trainable parameter count.
 */
import type { SafetensorsTensor } from '@hrm-webgpu/tensor';
import type { HRM } from '../model/hrm.js';
import { KEYS } from '../model/params.js';
import { DEFAULT_PREFIX, OFFICIAL_PREFIXES, stripOfficialPrefix } from '../state-dict.js';

export const WEIGHTS_PREFIX = DEFAULT_PREFIX;

/** Buffers of the state dict: saved, but not trainable parameters (spec sections 3 and 8). */
export const BUFFER_KEYS: ReadonlySet<string> = new Set([KEYS.hInit, KEYS.lInit, KEYS.puzzleEmb]);

export async function weightEntries(model: HRM): Promise<Record<string, SafetensorsTensor>> {
  const entries: Record<string, SafetensorsTensor> = {};
  for (const [key, t] of model.stateDict(WEIGHTS_PREFIX)) {
    entries[key] = { dtype: 'f32', shape: [...t.shape], data: Float32Array.from((await t.data()) as ArrayLike<number>) };
  }
  return entries;
}

export function loadWeights(model: HRM, file: ReadonlyMap<string, SafetensorsTensor>, source: string): void {
  model.loadStateDict(file, { source });
}

/** The official prefix a checkpoint's keys carry ('' for none). */
export function checkpointPrefix(keys: Iterable<string>): string {
  for (const key of keys) {
    if (stripOfficialPrefix(key) === KEYS.embedTokens) return key.slice(0, key.length - KEYS.embedTokens.length);
  }
  throw new Error(`no '${KEYS.embedTokens}' tensor under any official prefix (${OFFICIAL_PREFIXES.join(', ')}); not an HRM checkpoint`);
}

/** Trainable parameters among a checkpoint's tensors: everything but the buffers. */
export function countCheckpointParameters(tensors: ReadonlyMap<string, { shape: readonly number[] }>): number {
  let total = 0;
  for (const [key, t] of tensors) if (!BUFFER_KEYS.has(stripOfficialPrefix(key))) total += t.shape.reduce((a, b) => a * b, 1);
  return total;
}
