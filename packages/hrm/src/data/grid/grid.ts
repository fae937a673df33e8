/**
 * Rectangular integer grids and the 8 dihedral transforms with the official ids
 * (dataset/common.py): 0 identity, 1/2/3 rotate 90 degrees counter-clockwise k times
 * (numpy rot90), 4 flip left-right, 5 flip up-down, 6 transpose, 7 flip-lr of rot90
 * (the anti-diagonal reflection).
 */

export interface Grid {
  rows: number;
  cols: number;
  /** Row-major cells, [rows * cols]. */
  data: Int32Array;
}

/** DIHEDRAL_INVERSE[t] undoes transform t. */
export const DIHEDRAL_INVERSE = [0, 3, 2, 1, 4, 5, 6, 7] as const;

export const DIHEDRAL_COUNT = 8;

export function gridFromRows(rows: number[][]): Grid {
  const r = rows.length;
  const c = rows[0]?.length ?? 0;
  return { rows: r, cols: c, data: Int32Array.from(rows.flat()) };
}

export function gridToRows(g: Grid): number[][] {
  return Array.from({ length: g.rows }, (_, i) => Array.from(g.data.subarray(i * g.cols, (i + 1) * g.cols)));
}

export function gridsEqual(a: Grid, b: Grid): boolean {
  return a.rows === b.rows && a.cols === b.cols && a.data.every((v, i) => v === b.data[i]);
}

/** Source cell [row, col] of output cell (i, j) for an input of h rows and w columns. */
function sourceOf(tid: number, i: number, j: number, h: number, w: number): [number, number] {
  switch (tid) {
    case 0:
      return [i, j];
    case 1:
      return [j, w - 1 - i];
    case 2:
      return [h - 1 - i, w - 1 - j];
    case 3:
      return [h - 1 - j, i];
    case 4:
      return [i, w - 1 - j];
    case 5:
      return [h - 1 - i, j];
    case 6:
      return [j, i];
    case 7:
      return [h - 1 - j, w - 1 - i];
    default:
      throw new Error(`dihedral transform id must be 0..7, got ${tid}`);
  }
}

export function dihedralTransform(g: Grid, tid: number): Grid {
  const swaps = tid === 1 || tid === 3 || tid === 6 || tid === 7;
  const rows = swaps ? g.cols : g.rows;
  const cols = swaps ? g.rows : g.cols;
  const data = new Int32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const [r, c] = sourceOf(tid, i, j, g.rows, g.cols);
      data[i * cols + j] = g.data[r * g.cols + c]!;
    }
  }
  return { rows, cols, data };
}

export function inverseDihedralTransform(g: Grid, tid: number): Grid {
  return dihedralTransform(g, DIHEDRAL_INVERSE[tid]!);
}
