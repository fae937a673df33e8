/**
 * The in-memory form of one split of a puzzle dataset (spec section 7): examples grouped into
 * puzzles and puzzles into groups through CSR offsets. Labels hold -100 (IGNORE_LABEL_ID) where
 * the loss ignores a position; the metadata keeps the on-disk meaning of `ignore_label_id`, so
 * writing maps -100 back to it.
 */
import type { DatasetMetadata } from './types.js';

export const IGNORE_LABEL_ID = -100;

export interface PuzzleDataset {
  metadata: DatasetMetadata;
  /** [numExamples * seqLen] token ids. */
  inputs: Int32Array;
  /** [numExamples * seqLen] target ids, -100 where ignored. */
  labels: Int32Array;
  /** [numPuzzles] identifier of each puzzle (an index into `identifiers`). */
  puzzleIdentifiers: Int32Array;
  /** [numPuzzles + 1] CSR offsets into examples. */
  puzzleIndices: Int32Array;
  /** [numGroups + 1] CSR offsets into puzzles. */
  groupIndices: Int32Array;
  /** Name of each puzzle identifier (identifiers.json), when known. */
  identifiers?: string[];
  /** Difficulty of each example (Sudoku: solver backtracks), when known. */
  ratings?: Int32Array;
}

export function numExamples(d: PuzzleDataset): number {
  return d.inputs.length / d.metadata.seq_len;
}

export function numPuzzles(d: PuzzleDataset): number {
  return d.puzzleIndices.length - 1;
}

export function numGroups(d: PuzzleDataset): number {
  return d.groupIndices.length - 1;
}

/** The puzzle index of every example, [numExamples]. */
export function examplePuzzles(d: PuzzleDataset): Int32Array {
  const out = new Int32Array(numExamples(d));
  for (let p = 0; p < numPuzzles(d); p++) out.fill(p, d.puzzleIndices[p]!, d.puzzleIndices[p + 1]!);
  return out;
}

/** CSR offsets from 0 to `end`, strictly increasing: every group holds a puzzle, every puzzle an example. */
function checkCsr(name: string, offsets: Int32Array, end: number, item: string): void {
  if (offsets.length < 1 || offsets[0] !== 0) throw new Error(`${name} must start with 0`);
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]! <= offsets[i - 1]!) {
      throw new Error(`${name} must be strictly increasing: entry ${i - 1} (${offsets[i - 1]}) to ${i} (${offsets[i]}) leaves ${i - 1} without ${item}`);
    }
  }
  if (offsets[offsets.length - 1] !== end) {
    throw new Error(`${name} ends at ${offsets[offsets.length - 1]}, expected ${end}`);
  }
}

/** Throws with a precise message when the arrays disagree with each other or the metadata. */
export function validateDataset(d: PuzzleDataset): void {
  const { seq_len: seqLen, vocab_size: vocab, num_puzzle_identifiers: numIds } = d.metadata;
  if (d.inputs.length % seqLen !== 0) throw new Error(`inputs length ${d.inputs.length} is not a multiple of seq_len ${seqLen}`);
  if (d.labels.length !== d.inputs.length) throw new Error(`labels length ${d.labels.length} != inputs length ${d.inputs.length}`);
  if (d.puzzleIdentifiers.length !== numPuzzles(d)) {
    throw new Error(`puzzle_identifiers has ${d.puzzleIdentifiers.length} entries for ${numPuzzles(d)} puzzles`);
  }
  checkCsr('puzzle_indices', d.puzzleIndices, numExamples(d), 'an example');
  checkCsr('group_indices', d.groupIndices, numPuzzles(d), 'a puzzle');
  if (d.metadata.total_groups !== numGroups(d)) throw new Error(`total_groups ${d.metadata.total_groups} != ${numGroups(d)} groups`);
  for (let i = 0; i < d.inputs.length; i++) {
    const x = d.inputs[i]!;
    if (x < 0 || x >= vocab) throw new Error(`input token ${x} at ${i} is outside the vocabulary [0, ${vocab})`);
    const y = d.labels[i]!;
    if (y !== IGNORE_LABEL_ID && (y < 0 || y >= vocab)) throw new Error(`label ${y} at ${i} is outside the vocabulary [0, ${vocab})`);
  }
  for (const id of d.puzzleIdentifiers) {
    if (id < 0 || id >= numIds) throw new Error(`puzzle identifier ${id} is outside [0, ${numIds})`);
  }
  if (d.ratings && d.ratings.length !== numExamples(d)) throw new Error(`ratings has ${d.ratings.length} entries for ${numExamples(d)} examples`);
}

/** Builds a split group by group; call `finish` once. */
export class DatasetBuilder {
  private readonly inputs: Int32Array[] = [];
  private readonly labels: Int32Array[] = [];
  private readonly ratings: number[] = [];
  private readonly puzzleIdentifiers: number[] = [];
  private readonly puzzleIndices: number[] = [0];
  private readonly groupIndices: number[] = [0];
  private examples = 0;

  constructor(readonly seqLen: number) {}

  /** Adds one puzzle (a list of examples) to the current group. */
  addPuzzle(identifier: number, examples: { input: Int32Array; label: Int32Array; rating?: number }[]): void {
    for (const ex of examples) {
      if (ex.input.length !== this.seqLen || ex.label.length !== this.seqLen) {
        throw new Error(`example of length ${ex.input.length}/${ex.label.length}, expected seq_len ${this.seqLen}`);
      }
      this.inputs.push(ex.input);
      this.labels.push(ex.label);
      this.ratings.push(ex.rating ?? 0);
    }
    this.examples += examples.length;
    this.puzzleIndices.push(this.examples);
    this.puzzleIdentifiers.push(identifier);
  }

  /** Closes the current group (the puzzles added since the previous call). */
  endGroup(): void {
    const puzzles = this.puzzleIdentifiers.length;
    if (puzzles === this.groupIndices[this.groupIndices.length - 1]) throw new Error('empty group');
    this.groupIndices.push(puzzles);
  }

  finish(
    meta: Omit<DatasetMetadata, 'seq_len' | 'total_groups' | 'mean_puzzle_examples' | 'sets'>,
    extras: { identifiers?: string[]; withRatings?: boolean } = {},
  ): PuzzleDataset {
    if (this.groupIndices[this.groupIndices.length - 1] !== this.puzzleIdentifiers.length) {
      throw new Error('finish() called with an unclosed group');
    }
    const concat = (rows: Int32Array[]) => {
      const out = new Int32Array(rows.length * this.seqLen);
      rows.forEach((r, i) => out.set(r, i * this.seqLen));
      return out;
    };
    const numPuzzlesBuilt = this.puzzleIdentifiers.length;
    const dataset: PuzzleDataset = {
      metadata: {
        ...meta,
        seq_len: this.seqLen,
        total_groups: this.groupIndices.length - 1,
        mean_puzzle_examples: numPuzzlesBuilt > 0 ? this.examples / numPuzzlesBuilt : 0,
        sets: ['all'],
      },
      inputs: concat(this.inputs),
      labels: concat(this.labels),
      puzzleIdentifiers: Int32Array.from(this.puzzleIdentifiers),
      puzzleIndices: Int32Array.from(this.puzzleIndices),
      groupIndices: Int32Array.from(this.groupIndices),
    };
    if (extras.identifiers) dataset.identifiers = extras.identifiers;
    if (extras.withRatings) dataset.ratings = Int32Array.from(this.ratings);
    validateDataset(dataset);
    return dataset;
  }
}
