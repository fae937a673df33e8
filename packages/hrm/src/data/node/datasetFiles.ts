/**
 * The official on-disk layout of a dataset: `<root>/identifiers.json` and one folder per split
 * (`train`, `test`) holding `dataset.json` and `{set}__{field}.npy` for the fields inputs,
 * labels, puzzle_identifiers, puzzle_indices and group_indices. We write the single set "all"
 * (inputs and labels as uint8 like the official builders, offsets as int32) plus an optional
 * `all__ratings.npy` that the official loader ignores; we read any list of sets.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { int, num, parseSettings, describeValue } from '../../schema.js';
import { IGNORE_LABEL_ID, validateDataset, type PuzzleDataset } from '../dataset.js';
import { narrowestDtype, parseNpy, serializeNpy, type NpyArray } from '../npy.js';
import { makeFolder, parseJsonText, readBytesFile, readTextFile, writeBytesFile } from './files.js';
import type { DatasetMetadata } from '../types.js';

const FIELDS = ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices'] as const;

export const isDatasetSplitDir = (dir: string): boolean => existsSync(join(dir, 'dataset.json'));

/** The scalar fields of dataset.json; other keys are left alone (later official versions may add some). */
const METADATA_SCHEMA = {
  pad_id: int('token id of padding', { min: 0, max: 2 ** 31 - 1 }),
  blank_identifier_id: int('puzzle identifier of padding rows', { min: 0, max: 2 ** 31 - 1 }),
  vocab_size: int('token vocabulary size', { min: 1, max: 1 << 20 }),
  seq_len: int('tokens per example', { min: 1, max: 16384 }),
  num_puzzle_identifiers: int('puzzle identifiers', { min: 1, max: 1 << 24 }),
  total_groups: int('groups of puzzles', { min: 0, max: 2 ** 31 - 1 }),
  mean_puzzle_examples: num('mean examples per puzzle', { min: 0, max: 2 ** 31 }),
};
/** A set name becomes part of a file name: no separators, no leading dot, so it cannot leave the split folder. */
const SET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

function readMetadata(file: string): DatasetMetadata {
  const raw = parseJsonText(readTextFile(file), file);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected an object of dataset metadata`);
  const m = raw as Record<string, unknown>;
  const scalars = parseSettings(METADATA_SCHEMA, Object.fromEntries(Object.keys(METADATA_SCHEMA).map((k) => [k, m[k]])), file);
  if (!(m.ignore_label_id === null || Number.isInteger(m.ignore_label_id)))
    throw new Error(`${file}: field "ignore_label_id" must be an integer or null, found ${describeValue(m.ignore_label_id)}`);
  if (!Array.isArray(m.sets) || m.sets.length === 0 || m.sets.length > 1024)
    throw new Error(`${file}: field "sets" must be a list of 1 to 1024 names, found ${describeValue(m.sets)}`);
  for (const set of m.sets) {
    if (typeof set !== 'string' || !SET_NAME.test(set)) {
      throw new Error(`${file}: field "sets" holds ${describeValue(set)}; a set name is 1-64 letters, digits, '_', '.' or '-', not starting with '.'`);
    }
  }
  if (new Set(m.sets).size !== m.sets.length) throw new Error(`${file}: field "sets" names a set twice`);
  return { ...scalars, ignore_label_id: m.ignore_label_id as number | null, sets: m.sets as string[] };
}

function readSet(dir: string, set: string, seqLen: number) {
  const file = (f: string) => join(dir, `${set}__${f}.npy`);
  const arrays = Object.fromEntries(FIELDS.map((f) => [f, readNpyFile(file(f))])) as Record<(typeof FIELDS)[number], NpyArray>;
  for (const f of ['inputs', 'labels'] as const) {
    const shape = arrays[f].shape;
    if (shape.length !== 2 || shape[1] !== seqLen) throw new Error(`${file(f)}: shape [${shape}], expected [N, ${seqLen}]`);
  }
  for (const f of ['puzzle_indices', 'group_indices'] as const) {
    const offsets = arrays[f].data;
    if (offsets.length === 0 || offsets[0] !== 0) throw new Error(`${file(f)}: offsets must start with 0, found ${offsets.length === 0 ? 'none' : offsets[0]}`);
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
    const ids = parseJsonText(readTextFile(file), file);
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new Error(`${file}: expected a list of names`);
    return ids as string[];
  }
  return undefined;
}

function readNpyFile(file: string): NpyArray {
  if (!existsSync(file)) throw new Error(`${file}: missing`);
  return parseNpy(readBytesFile(file), file);
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
    puzzleIndices: concatOffsets(
      sets.map((s) => s.arrays.puzzle_indices.data),
      sets.map((s) => s.arrays.inputs.shape[0]!),
    ),
    groupIndices: concatOffsets(
      sets.map((s) => s.arrays.group_indices.data),
      sets.map((s) => s.arrays.puzzle_identifiers.data.length),
    ),
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
  makeFolder(dir);
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
  writeBytesFile(join(dir, 'dataset.json'), JSON.stringify(metadata));
  const labels = m.ignore_label_id === null ? d.labels : d.labels.map((y) => (y === IGNORE_LABEL_ID ? m.ignore_label_id! : y));
  const rows = d.inputs.length / m.seq_len;
  const matrix = (data: Int32Array) => serializeNpy(data, [rows, m.seq_len], narrowestDtype(data));
  const vector = (data: Int32Array) => serializeNpy(data, [data.length], 'int32');
  writeBytesFile(join(dir, 'all__inputs.npy'), matrix(d.inputs));
  writeBytesFile(join(dir, 'all__labels.npy'), matrix(labels));
  writeBytesFile(join(dir, 'all__puzzle_identifiers.npy'), vector(d.puzzleIdentifiers));
  writeBytesFile(join(dir, 'all__puzzle_indices.npy'), vector(d.puzzleIndices));
  writeBytesFile(join(dir, 'all__group_indices.npy'), vector(d.groupIndices));
  if (d.ratings) writeBytesFile(join(dir, 'all__ratings.npy'), vector(d.ratings));
}

/** Writes `<root>/<split>/...` for every split given, and identifiers.json from the first that has names. */
export function writeDataset(root: string, splits: Record<string, PuzzleDataset>): void {
  for (const [split, d] of Object.entries(splits)) writeSplit(join(root, split), d);
  const identifiers = Object.values(splits).find((d) => d.identifiers)?.identifiers;
  writeBytesFile(join(root, 'identifiers.json'), JSON.stringify(identifiers ?? ['<blank>']));
}
