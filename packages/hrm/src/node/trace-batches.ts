/** The batches `hrm trace` runs on, read from a safetensors file and checked against the model's configuration. */
import type { HRMConfig } from '../config.js';
import { IGNORE_LABEL_ID } from '../data/dataset.js';
import type { PuzzleBatch } from '../data/types.js';
import { readCheckpointFile } from '../train/checkpoint-files.js';

/** One batch, or one per segment from stacked tensors ([T, B, seq_len] and [T, B]). */
export async function readTraceBatches(file: string, config: HRMConfig): Promise<PuzzleBatch[]> {
  const seqLen = config.seq_len;
  const map = await readCheckpointFile(file);
  const inputs = map.get('inputs');
  const stacked = inputs !== undefined && inputs.shape.length === 3;
  const get = (name: string, rank: number) => {
    const t = map.get(name);
    if (!t) throw new Error(`${file}: missing tensor '${name}'`);
    if (t.dtype !== 'i32') throw new Error(`${file}: tensor '${name}' must be an integer tensor, found ${t.dtype}`);
    if (t.shape.length !== rank + (stacked ? 1 : 0))
      throw new Error(`${file}: tensor '${name}' must have rank ${rank} (or ${rank + 1}, stacked), found shape [${t.shape.join(', ')}]`);
    return { data: t.data as Int32Array, shape: stacked ? t.shape.slice(1) : t.shape };
  };
  const tokens = get('inputs', 2);
  const labels = get('labels', 2);
  const ids = get('puzzle_identifiers', 1);
  const [size, len] = tokens.shape as [number, number];
  const count = stacked ? inputs.shape[0]! : 1;
  if (len !== seqLen) throw new Error(`${file}: inputs have ${len} positions, the configuration's seq_len is ${seqLen}`);
  if (labels.data.length !== tokens.data.length || labels.shape[0] !== size || labels.shape[1] !== len) {
    throw new Error(`${file}: labels shape [${labels.shape.join(', ')}] differs from inputs [${size}, ${len}]`);
  }
  if (ids.shape[0] !== size || ids.data.length !== count * size)
    throw new Error(`${file}: puzzle_identifiers has the wrong shape for ${count} batches of ${size} rows`);
  if (size === 0 || count === 0) throw new Error(`${file}: the batch has no rows (inputs [${inputs!.shape.join(', ')}]); give at least one example`);
  const outside = (name: string, data: Int32Array, ok: (v: number) => boolean, range: string) => {
    const i = data.findIndex((v) => !ok(v));
    if (i >= 0) throw new Error(`${file}: tensor '${name}' holds ${data[i]} at index ${i}, outside ${range}`);
  };
  outside('inputs', tokens.data, (v) => v >= 0 && v < config.vocab_size, `[0, ${config.vocab_size})`);
  outside('labels', labels.data, (v) => v === IGNORE_LABEL_ID || (v >= 0 && v < config.vocab_size), `[0, ${config.vocab_size}) or -100`);
  outside('puzzle_identifiers', ids.data, (v) => v >= 0 && v < config.num_puzzle_identifiers, `[0, ${config.num_puzzle_identifiers})`);
  const rows = size * len;
  return Array.from({ length: count }, (_, t) => ({
    size,
    seqLen,
    inputs: tokens.data.subarray(t * rows, (t + 1) * rows),
    labels: labels.data.subarray(t * rows, (t + 1) * rows),
    puzzleIdentifiers: ids.data.subarray(t * size, (t + 1) * size),
  }));
}
