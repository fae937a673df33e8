/**
 * The data contract between datasets, the model and the training loop. It mirrors the official
 * HRM dataset layout (spec section 7): examples grouped into puzzles (augmentations of one
 * original share a group), CSR offsets between the levels, and one metadata record per split.
 */

/** One batch as the model consumes it: row-major [size, seqLen] token ids and labels. */
export interface PuzzleBatch {
  /** Number of rows (the global batch size; padding rows included). */
  size: number;
  seqLen: number;
  /** Token ids, [size * seqLen]. Padding rows hold pad_id. */
  inputs: Int32Array;
  /** Target ids, [size * seqLen]; ignored positions hold ignore_label_id (-100). */
  labels: Int32Array;
  /** One puzzle identifier per row, [size]; padding rows hold blank_identifier_id (0). */
  puzzleIdentifiers: Int32Array;
}

/** dataset.json of one split, with the official field names. */
export interface DatasetMetadata {
  pad_id: number;
  ignore_label_id: number | null;
  blank_identifier_id: number;
  vocab_size: number;
  seq_len: number;
  num_puzzle_identifiers: number;
  total_groups: number;
  mean_puzzle_examples: number;
  sets: string[];
}
