/**
 * A Sudoku board: row-major cells, 0 for a blank and 1..n for a digit, where n = box * box
 * (box 2: 4x4 boards, box 3: the usual 9x9).
 */
export type Board = Int32Array;

export type BoxSize = 2 | 3;

export function boxSizeForCells(cells: number): BoxSize {
  if (cells === 16) return 2;
  if (cells === 81) return 3;
  throw new Error(`a board has 16 or 81 cells, got ${cells}`);
}

export function boxOf(box: number, row: number, col: number): number {
  return Math.floor(row / box) * box + Math.floor(col / box);
}

/** True when every row, column and box of a completely filled board holds each digit once. */
export function isValidSolution(board: Board, box: BoxSize): boolean {
  const n = box * box;
  if (board.length !== n * n) return false;
  const full = (1 << n) - 1;
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  const boxes = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = board[r * n + c]!;
      if (v < 1 || v > n) return false;
      const bit = 1 << (v - 1);
      rows[r]! |= bit;
      cols[c]! |= bit;
      boxes[boxOf(box, r, c)]! |= bit;
    }
  }
  return rows.every((m) => m === full) && cols.every((m) => m === full) && boxes.every((m) => m === full);
}

/** The first digit the givens repeat within a row, column or box, in words; undefined when none repeats. */
export function givenConflict(board: Board, box: BoxSize): string | undefined {
  const n = box * box;
  const seen = new Map<string, number>();
  for (let i = 0; i < board.length; i++) {
    const v = board[i]!;
    if (v === 0) continue;
    const [r, c] = [Math.floor(i / n), i % n];
    for (const unit of [`row ${r + 1}`, `column ${c + 1}`, `box ${boxOf(box, r, c) + 1}`]) {
      const key = `${unit}:${v}`;
      if (seen.has(key)) return `the givens repeat ${v} in ${unit} (cells ${seen.get(key)! + 1} and ${i + 1})`;
      seen.set(key, i);
    }
  }
  return undefined;
}

/** True when the solution keeps every given of the puzzle. */
export function solvesPuzzle(puzzle: Board, solution: Board): boolean {
  return puzzle.length === solution.length && puzzle.every((v, i) => v === 0 || v === solution[i]);
}

export function countGivens(board: Board): number {
  return board.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
}

/** Renders digits and '.' for blanks, one line per board (the 81-character format). */
export function boardToLine(board: Board): string {
  return Array.from(board, (v) => (v === 0 ? '.' : String(v))).join('');
}
