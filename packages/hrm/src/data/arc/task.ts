/**
 * ARC-AGI task files: `{"train": [{"input": grid, "output": grid}, ...], "test": [...]}` where a
 * grid is a rectangular list of 1..30 rows of 1..30 integers 0..9. Errors name file and field.
 */
import type { Grid } from '../grid/grid.js';

export interface ArcPair {
  input: Grid;
  output: Grid;
}

export interface ArcTask {
  train: ArcPair[];
  test: ArcPair[];
}

export const ARC_MAX_SIZE = 30;

function parseGrid(value: unknown, where: string): Grid {
  if (!Array.isArray(value) || value.length < 1 || value.length > ARC_MAX_SIZE) {
    throw new Error(`${where}: expected a list of 1..${ARC_MAX_SIZE} rows`);
  }
  const cols = Array.isArray(value[0]) ? value[0].length : -1;
  if (cols < 1 || cols > ARC_MAX_SIZE) throw new Error(`${where}[0]: expected a list of 1..${ARC_MAX_SIZE} cells`);
  const data = new Int32Array(value.length * cols);
  value.forEach((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== cols) {
      throw new Error(`${where}[${r}]: expected ${cols} cells like row 0 (grids are rectangular)`);
    }
    row.forEach((v: unknown, c) => {
      if (!(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 9)) {
        throw new Error(`${where}[${r}][${c}]: expected an integer 0..9, found ${JSON.stringify(v)}`);
      }
      data[r * cols + c] = v as number;
    });
  });
  return { rows: value.length, cols, data };
}

function parsePairs(value: unknown, field: 'train' | 'test', file: string): ArcPair[] {
  if (!Array.isArray(value)) throw new Error(`${file}: '${field}' must be a list of input/output pairs`);
  // A task is learned from its demonstration pairs: without one there is nothing to train on.
  if (field === 'train' && value.length === 0) throw new Error(`${file}: 'train' must hold at least one input/output pair, found none`);
  return value.map((pair: unknown, i) => {
    const where = `${file}: ${field}[${i}]`;
    if (typeof pair !== 'object' || pair === null) throw new Error(`${where}: expected an object with input and output`);
    const p = pair as Record<string, unknown>;
    return { input: parseGrid(p.input, `${where}.input`), output: parseGrid(p.output, `${where}.output`) };
  });
}

/** Parses and validates the JSON text of one task. */
export function parseArcTask(text: string, file: string): ArcTask {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null) throw new Error(`${file}: expected an object with 'train' and 'test'`);
  const t = json as Record<string, unknown>;
  return { train: parsePairs(t.train, 'train', file), test: parsePairs(t.test, 'test', file) };
}
