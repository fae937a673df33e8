/**
 * Text pictures of dataset examples for `hrm data show`: the task kind is recognised from the
 * metadata, and each example is drawn as its grid (Sudoku digits, maze characters, or the
 * occupied part of an ARC canvas).
 */
import { IGNORE_LABEL_ID, type PuzzleDataset } from './dataset.js';
import { MAZE_CHARS, MAZE_VOCAB_SIZE } from './maze/maze.js';
import { ARC_SEQ_LEN, ARC_VOCAB_SIZE } from './arc/canvas.js';
import type { DatasetMetadata } from './types.js';

export type DatasetKind = 'sudoku' | 'maze' | 'arc' | 'unknown';

export function datasetKind(m: DatasetMetadata): DatasetKind {
  const side = Math.round(Math.sqrt(m.seq_len));
  if ((m.seq_len === 16 || m.seq_len === 81) && m.vocab_size === side + 2) return 'sudoku';
  if (m.vocab_size === ARC_VOCAB_SIZE && m.seq_len === ARC_SEQ_LEN) return 'arc';
  if (m.vocab_size === MAZE_VOCAB_SIZE && side * side === m.seq_len) return 'maze';
  return 'unknown';
}

/** One character per token of a `kind` dataset; '·' for PAD, '?' for an ignored label. */
function tokenChar(kind: DatasetKind, t: number): string {
  if (t === IGNORE_LABEL_ID || t === 0) return t === 0 ? '·' : '?';
  switch (kind) {
    case 'sudoku':
      return t === 1 ? '.' : String(t - 1);
    case 'maze':
      return MAZE_CHARS[t - 1] ?? '?';
    case 'arc':
      return t === 1 ? '|' : String(t - 2);
    case 'unknown':
      return t < 36 ? t.toString(36) : '+';
  }
}

/** Rows of one sequence as characters, restricted to the rows and columns that hold tokens. */
export function sequenceLines(kind: DatasetKind, tokens: Int32Array): string[] {
  const side = Math.round(Math.sqrt(tokens.length));
  if (side * side !== tokens.length) return [Array.from(tokens, (t) => tokenChar(kind, t)).join('')];
  let [top, bottom, left, right] = [side, -1, side, -1];
  tokens.forEach((t, i) => {
    if (t === 0 || t === IGNORE_LABEL_ID) return;
    const r = Math.floor(i / side);
    const c = i % side;
    [top, bottom, left, right] = [Math.min(top, r), Math.max(bottom, r), Math.min(left, c), Math.max(right, c)];
  });
  if (bottom < 0) return ['(empty)'];
  const lines: string[] = [];
  for (let r = top; r <= bottom; r++) {
    let line = '';
    for (let c = left; c <= right; c++) line += tokenChar(kind, tokens[r * side + c]!);
    lines.push(kind === 'sudoku' ? line.split('').join(' ') : line);
  }
  return lines;
}

/** Input and label of example `e` side by side, under a caption naming its puzzle. */
export function renderExample(d: PuzzleDataset, e: number, puzzleName: string): string {
  const kind = datasetKind(d.metadata);
  const s = d.metadata.seq_len;
  const input = sequenceLines(kind, d.inputs.subarray(e * s, (e + 1) * s));
  const label = sequenceLines(kind, d.labels.subarray(e * s, (e + 1) * s));
  const width = Math.max(5, ...input.map((l) => l.length));
  const rows = Math.max(input.length, label.length);
  const lines = [`example ${e} (puzzle ${puzzleName}${d.ratings ? `, rating ${d.ratings[e]}` : ''})`, `${'input'.padEnd(width)}    label`];
  for (let r = 0; r < rows; r++) lines.push(`${(input[r] ?? '').padEnd(width)}    ${label[r] ?? ''}`.trimEnd());
  return lines.join('\n');
}
