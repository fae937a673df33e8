/**
 * The official on-disk layout of a dataset: `<root>/identifiers.json` and one folder per split
 * (`train`, `test`) holding `dataset.json` and `{set}__{field}.npy` for the fields inputs,
 * labels, puzzle_identifiers, puzzle_indices and group_indices. We write the single set "all"
 * (inputs and labels as uint8 like the official builders, offsets as int32) plus an optional
 * `all__ratings.npy` that the official loader ignores; we read any list of sets.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { IGNORE_LABEL_ID, validateDataset, type PuzzleDataset } from '../dataset.js';
import { narrowestDtype, parseNpy, serializeNpy, type NpyArray } from '../npy.js';
import type { DatasetMetadata } from '../types.js';

const FIELDS = ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices'] as const;

export const isDatasetSplitDir = (dir: string): boolean => existsSync(join(dir, 'dataset.json'));

function readMetadata(file: string): DatasetMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const m = raw as Record<string, unknown>;
  const ints = ['pad_id', 'blank_identifier_id', 'vocab_size', 'seq_len', 'num_puzzle_identifiers', 'total_groups'];
  for (const k of ints) if (!Number.isInteger(m[k])) throw new Error(`${file}: field '${k}' must be an integer`);
  if (!(m.ignore_label_id === null || Number.isInteger(m.ignore_label_id))) throw new Error(`${file}: field 'ignore_label_id' must be an integer or null`);
  if (typeof m.mean_puzzle_examples !== 'number') throw new Error(`${file}: field 'mean_puzzle_examples' must be a number`);
  if (!Array.isArray(m.sets) || m.sets.length === 0 || m.sets.some((s) => typeof s !== 'string')) {
    throw new Error(`${file}: field 'sets' must be a non-empty list of names`);
  }
  return m as unknown as DatasetMetadata;
}

function readNpyFile(file: string): NpyArray {
  if (!existsSync(file)) throw new Error(`${file}: missing`);
  return parseNpy(readFileSync(file), file);
}

function readSet(dir: string, set: string, seqLen: number) {
  const arrays = Object.fromEntries(FIELDS.map((f) => [f, readNpyFile(join(dir, `${set}__${f}.npy`))])) as Record<(typeof FIELDS)[number], NpyArray>;
  for (const f of ['inputs', 'labels'] as const) {
    const shape = arrays[f].shape;
    if (shape.length !== 2 || shape[1] !== seqLen) throw new Error(`${join(dir, `${set}__${f}.npy`)}: shape [${shape}], expected [N, ${seqLen}]`);
  }
  const ratingsFile = join(dir, `${set}__ratings.npy`);
  return { arrays, ratings: existsSync(ratingsFile) ? readNpyFile(ratingsFile).data : undefined };
}

function concatInt32(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Joins CSR offset arrays, shifting each by the size of the parts before it. */
function concatOffsets(parts: Int32Array[], sizes: number[]): Int32Array {
  const shifted = [Int32Array.of(0)];
  let base = 0;
  parts.forEach((p, i) => {
    shifted.push(p.subarray(1).map((x) => x + base));
    base += sizes[i]!;
  });
  return concatInt32(shifted);
}

function readIdentifiers(splitDir: string): string[] | undefined {
  for (const file of [join(dirname(splitDir), 'identifiers.json'), join(splitDir, 'identifiers.json')]) {
    if (!existsSync(file)) continue;
    const ids: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new Error(`${file}: expected a list of names`);
    return ids as string[];
  }
  return undefined;
}

/** Reads one split folder (the one holding dataset.json). Labels equal to ignore_label_id become -100. */
export function readDatasetSplit(dir: string): PuzzleDataset {
  const metadata = readMetadata(join(dir, 'dataset.json'));
  const sets = metadata.sets.map((s) => readSet(dir, s, metadata.seq_len));
  const labels = concatInt32(sets.map((s) => s.arrays.labels.data));
  if (metadata.ignore_label_id !== null) {
    const ignore = metadata.ignore_label_id;
    for (let i = 0; i < labels.length; i++) if (labels[i] === ignore) labels[i] = IGNORE_LABEL_ID;
  }
  const dataset: PuzzleDataset = {
    metadata,
    inputs: concatInt32(sets.map((s) => s.arrays.inputs.data)),
    labels,
    puzzleIdentifiers: concatInt32(sets.map((s) => s.arrays.puzzle_identifiers.data)),
    puzzleIndices: concatOffsets(sets.map((s) => s.arrays.puzzle_indices.data), sets.map((s) => s.arrays.inputs.shape[0]!)),
    groupIndices: concatOffsets(sets.map((s) => s.arrays.group_indices.data), sets.map((s) => s.arrays.puzzle_identifiers.data.length)),
  };
  const identifiers = readIdentifiers(dir);
  if (identifiers) dataset.identifiers = identifiers;
  if (sets.every((s) => s.ratings)) dataset.ratings = concatInt32(sets.map((s) => s.ratings!));
  try {
    validateDataset(dataset);
  } catch (e) {
    throw new Error(`${dir}: ${(e as Error).message}`);
  }
  return dataset;
}

/** Reads `split` of a dataset root, or the folder itself when it already is a split folder. */
export function readDataset(path: string, split: string): PuzzleDataset {
  if (isDatasetSplitDir(path)) return readDatasetSplit(path);
  const dir = join(path, split);
  if (!isDatasetSplitDir(dir)) throw new Error(`${path}: no dataset.json here nor in ${split}/`);
  return readDatasetSplit(dir);
}

function writeSplit(dir: string, d: PuzzleDataset): void {
  validateDataset(d);
  mkdirSync(dir, { recursive: true });
  const { metadata: m } = d;
  const metadata: DatasetMetadata = {
    pad_id: m.pad_id,
    ignore_label_id: m.ignore_label_id,
    blank_identifier_id: m.blank_identifier_id,
    vocab_size: m.vocab_size,
    seq_len: m.seq_len,
    num_puzzle_identifiers: m.num_puzzle_identifiers,
    total_groups: m.total_groups,
    mean_puzzle_examples: m.mean_puzzle_examples,
    sets: ['all'],
  };
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify(metadata));
  const labels = m.ignore_label_id === null ? d.labels : d.labels.map((y) => (y === IGNORE_LABEL_ID ? m.ignore_label_id! : y));
  const rows = d.inputs.length / m.seq_len;
  const matrix = (data: Int32Array) => serializeNpy(data, [rows, m.seq_len], narrowestDtype(data));
  const vector = (data: Int32Array) => serializeNpy(data, [data.length], 'int32');
  writeFileSync(join(dir, 'all__inputs.npy'), matrix(d.inputs));
  writeFileSync(join(dir, 'all__labels.npy'), matrix(labels));
  writeFileSync(join(dir, 'all__puzzle_identifiers.npy'), vector(d.puzzleIdentifiers));
  writeFileSync(join(dir, 'all__puzzle_indices.npy'), vector(d.puzzleIndices));
  writeFileSync(join(dir, 'all__group_indices.npy'), vector(d.groupIndices));
  if (d.ratings) writeFileSync(join(dir, 'all__ratings.npy'), vector(d.ratings));
}

/** Writes `<root>/<split>/...` for every split given, and identifiers.json from the first that has names. */
export function writeDataset(root: string, splits: Record<string, PuzzleDataset>): void {
  for (const [split, d] of Object.entries(splits)) writeSplit(join(root, split), d);
  const identifiers = Object.values(splits).find((d) => d.identifiers)?.identifiers;
  writeFileSync(join(root, 'identifiers.json'), JSON.stringify(identifiers ?? ['<blank>']));
}
