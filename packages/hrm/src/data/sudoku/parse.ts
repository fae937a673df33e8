/**
 * Sudoku text formats, read lazily: one puzzle per line (16 or 81 characters, '.' or '0' for a
 * blank, '#' starting a comment line) and the Sudoku-Extreme CSV. Errors name the file and line.
 */
import { parsePuzzleCsv } from '../csv.js';
import { boxSizeForCells, type Board, type BoxSize } from './board.js';

export interface SudokuEntry {
  puzzle: Board;
  box: BoxSize;
  /** Known solution (CSV answers); absent for puzzle-line files. */
  solution?: Board;
  /** Known rating (CSV); absent for puzzle-line files. */
  rating?: number;
  line: number;
}

export function parseBoard(text: string, where: string): { board: Board; box: BoxSize } {
  let box: BoxSize;
  try {
    box = boxSizeForCells(text.length);
  } catch {
    throw new Error(`${where}: expected 16 or 81 cells, found ${text.length} characters`);
  }
  const n = box * box;
  const board = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '.' || ch === '0') continue;
    const v = ch.charCodeAt(0) - 48;
    if (!(v >= 1 && v <= n)) throw new Error(`${where}: invalid character '${ch}' at column ${i + 1} (expected '.', '0' or 1-${n})`);
    board[i] = v;
  }
  return { board, box };
}

/**
 * Receives the message of an entry that is skipped instead of failing the read (a malformed
 * line, a puzzle without a unique solution); without one, the first bad entry is an error.
 */
export type OnInvalid = (message: string) => void;

/** Runs `parse`; a failure goes to `onInvalid` (and gives undefined) when one is given. */
export function orSkip<T>(parse: () => T, onInvalid: OnInvalid | undefined): T | undefined {
  if (!onInvalid) return parse();
  try {
    return parse();
  } catch (e) {
    onInvalid((e as Error).message);
    return undefined;
  }
}

export function* parseSudokuLines(lines: Iterable<string>, file: string, onInvalid?: OnInvalid): Generator<SudokuEntry> {
  let lineNumber = 0;
  for (const raw of lines) {
    lineNumber++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = orSkip(() => parseBoard(line, `${file}:${lineNumber}`), onInvalid);
    if (parsed) yield { puzzle: parsed.board, box: parsed.box, line: lineNumber };
  }
}

export function* parseSudokuCsv(lines: Iterable<string>, file: string, onInvalid?: OnInvalid): Generator<SudokuEntry> {
  for (const row of parsePuzzleCsv(lines, file)) {
    const where = `${file}:${row.line}`;
    const entry = orSkip(() => {
      const q = parseBoard(row.question, where);
      const a = parseBoard(row.answer, where);
      if (a.board.includes(0)) throw new Error(`${where}: the answer has blanks`);
      return { puzzle: q.board, box: q.box, solution: a.board, rating: row.rating, line: row.line };
    }, onInvalid);
    if (entry) yield entry;
  }
}

/** Passes entries through, failing at the first whose board size differs from the first entry's. */
export function* sameBoardSize(entries: Iterable<SudokuEntry>, file: string): Generator<SudokuEntry> {
  let box: BoxSize | undefined;
  for (const e of entries) {
    box ??= e.box;
    if (e.box !== box) throw new Error(`${file}:${e.line}: a ${e.box ** 2}x${e.box ** 2} board after ${box ** 2}x${box ** 2} ones`);
    yield e;
  }
}
