/** Sudoku boards as terminal grids, with chosen cells marked (the cells a segment changed). */
import type { Board, BoxSize } from '../data/sudoku/board.js';

export interface GridOptions {
  /** Cells to mark with brackets, e.g. those that changed since the previous segment. */
  marked?: ReadonlySet<number>;
  /** Cells to show in bold (e.g. the givens), when colour is on. */
  given?: ReadonlySet<number>;
  color?: boolean;
}

export function renderSudoku(board: Board, box: BoxSize, opts: GridOptions = {}): string[] {
  const n = box * box;
  const cell = (i: number) => {
    const v = board[i]!;
    const text = v === 0 ? '.' : String(v);
    const shown = opts.marked?.has(i) ? `[${text}]` : ` ${text} `;
    return opts.color && opts.given?.has(i) ? `\x1b[1m${shown}\x1b[0m` : shown;
  };
  const separator = Array.from({ length: box }, () => '-'.repeat(3 * box)).join('+');
  const lines: string[] = [];
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % box === 0) lines.push(separator);
    const groups = Array.from({ length: box }, (_, b) => Array.from({ length: box }, (_, k) => cell(r * n + b * box + k)).join(''));
    lines.push(groups.join('|'));
  }
  return lines;
}

/** Several grids side by side, each with a caption above it. */
export function sideBySide(blocks: { caption: string; lines: string[] }[], gap = 4): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal's colour escapes (ESC [ ... m)
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = blocks.map((b) => Math.max(visible(b.caption), ...b.lines.map(visible)));
  const height = Math.max(...blocks.map((b) => b.lines.length)) + 1;
  const rows: string[] = [];
  for (let r = 0; r < height; r++) {
    const parts = blocks.map((b, i) => {
      const text = r === 0 ? b.caption : (b.lines[r - 1] ?? '');
      return text + ' '.repeat(widths[i]! - visible(text));
    });
    rows.push(parts.join(' '.repeat(gap)).trimEnd());
  }
  return rows.join('\n');
}
