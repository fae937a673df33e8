/**
 * The 30x30 canvas encoding of ARC grids (build_arc_dataset.py): 0 PAD, 1 EOS, colours 0..9 as
 * 2..11. A grid placed at (top, left) gets EOS on the row just below it (over its columns) and
 * on the column just right of it (over its rows), where these fall inside the canvas.
 */
import type { Grid } from '../grid/grid.js';
import { ARC_MAX_SIZE } from './task.js';

export const ARC_PAD = 0;
export const ARC_EOS = 1;
export const ARC_COLOUR_OFFSET = 2;
export const ARC_VOCAB_SIZE = 12;
export const ARC_SEQ_LEN = ARC_MAX_SIZE * ARC_MAX_SIZE;

export function encodeCanvas(g: Grid, top = 0, left = 0): Int32Array {
  const S = ARC_MAX_SIZE;
  if (top < 0 || left < 0 || top + g.rows > S || left + g.cols > S) {
    throw new Error(`a ${g.rows}x${g.cols} grid at (${top}, ${left}) does not fit the ${S}x${S} canvas`);
  }
  const canvas = new Int32Array(S * S);
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.cols; c++) canvas[(top + r) * S + left + c] = g.data[r * g.cols + c]! + ARC_COLOUR_OFFSET;
  }
  const eosRow = top + g.rows;
  const eosCol = left + g.cols;
  if (eosRow < S) canvas.fill(ARC_EOS, eosRow * S + left, eosRow * S + eosCol);
  if (eosCol < S) for (let r = top; r < eosRow; r++) canvas[r * S + eosCol] = ARC_EOS;
  return canvas;
}

const isColour = (t: number) => t >= ARC_COLOUR_OFFSET && t < ARC_COLOUR_OFFSET + 10;

/**
 * The grid a (predicted) canvas holds: the largest-area rectangle anchored at the top-left
 * corner whose rows are runs of colour tokens (each row's run no longer than the rows above it).
 */
export function cropCanvas(canvas: Int32Array): Grid {
  const S = ARC_MAX_SIZE;
  if (canvas.length !== S * S) throw new Error(`a canvas has ${S * S} tokens, got ${canvas.length}`);
  let width = S;
  let best = { rows: 0, cols: 0 };
  for (let r = 0; r < S; r++) {
    let c = 0;
    while (c < width && isColour(canvas[r * S + c]!)) c++;
    width = c;
    if ((r + 1) * width > best.rows * best.cols) best = { rows: r + 1, cols: width };
  }
  const data = new Int32Array(best.rows * best.cols);
  for (let r = 0; r < best.rows; r++) {
    for (let c = 0; c < best.cols; c++) data[r * best.cols + c] = canvas[r * S + c]! - ARC_COLOUR_OFFSET;
  }
  return { rows: best.rows, cols: best.cols, data };
}
