/**
 * Sudoku text formats: one puzzle per line (16 or 81 characters, '.' or '0' for a blank,
 * '#' starting a comment line) and the Sudoku-Extreme CSV. Errors name the file and line.
 */
import { parsePuzzleCsv } from '../csv.js';
import { boxSizeForCells, type Board, type BoxSize } from './board.js';

export interface SudokuEntry {
  puzzle: Board;
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

function checkSameBox(box: BoxSize, first: BoxSize | undefined, where: string): BoxSize {
  if (first !== undefined && first !== box) throw new Error(`${where}: board size differs from earlier lines`);
  return box;
}

export function parseSudokuLines(text: string, file: string): { box: BoxSize; entries: SudokuEntry[] } {
  const entries: SudokuEntry[] = [];
  let box: BoxSize | undefined;
  text.split(/\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}:${i + 1}`;
    const parsed = parseBoard(line, where);
    box = checkSameBox(parsed.box, box, where);
    entries.push({ puzzle: parsed.board, line: i + 1 });
  });
  if (box === undefined) throw new Error(`${file}: no puzzles found`);
  return { box, entries };
}

export function parseSudokuCsv(text: string, file: string): { box: BoxSize; entries: SudokuEntry[] } {
  let box: BoxSize | undefined;
  const entries = parsePuzzleCsv(text, file).map((row) => {
    const where = `${file}:${row.line}`;
    const q = parseBoard(row.question, where);
    const a = parseBoard(row.answer, where);
    box = checkSameBox(q.box, box, where);
    if (a.board.includes(0)) throw new Error(`${where}: the answer has blanks`);
    return { puzzle: q.board, solution: a.board, rating: row.rating, line: row.line };
  });
  if (box === undefined) throw new Error(`${file}: no puzzles found`);
  return { box, entries };
}
