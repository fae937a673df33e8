/**
 * Input embedding (spec 2.1): token embeddings, the puzzle embedding zero-padded to whole
 * positions and prepended, learned positions (0.707106781 * (x + pos)) if configured, then the
 * sqrt(hidden) scale.
 */
import { type Tensor, add, concat, embedding, mul, reshape, zeros } from '@hrm-webgpu/tensor';
import { type HRMConfig, puzzleEmbLen } from '../config.js';

export interface EmbeddingWeights {
  embedTokens: Tensor;
  /** [S, hidden], learned position encodings only. */
  embedPos: Tensor | null;
}

/**
 * inputs: i32 [B, seq_len]; puzzleRows: [B, puzzle_emb_ndim] (the batch's rows of the puzzle
 * table, null when puzzle_emb_ndim is 0). Returns [B, S, hidden].
 */
export function inputEmbeddings(config: HRMConfig, w: EmbeddingWeights, inputs: Tensor, puzzleRows: Tensor | null): Tensor {
  const hidden = config.hidden_size;
  let x = embedding(w.embedTokens, inputs);
  if (puzzleRows) {
    const batch = puzzleRows.shape[0]!;
    const prefixLen = puzzleEmbLen(config);
    const padCount = prefixLen * hidden - config.puzzle_emb_ndim;
    const padded = padCount > 0 ? concat([puzzleRows, zeros([batch, padCount], { dtype: puzzleRows.dtype })], 1) : puzzleRows;
    x = concat([reshape(padded, [batch, prefixLen, hidden]), x], 1);
  }
  if (w.embedPos) x = mul(add(x, w.embedPos), 0.707106781);
  return mul(x, Math.sqrt(hidden));
}
