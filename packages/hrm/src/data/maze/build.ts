/**
 * Maze datasets in the official layout (build_maze_dataset.py): one group per maze holding the
 * maze itself and, when augmenting (off in the paper), its other 7 dihedral images; one
 * puzzle identifier (0); PAD 0 doubles as the ignore label.
 */
import { parsePuzzleCsv } from '../csv.js';
import { DatasetBuilder, type PuzzleDataset } from '../dataset.js';
import { DIHEDRAL_COUNT, dihedralTransform, type Grid } from '../grid/grid.js';
import type { OnProgress } from '../progress.js';
import { Rng } from '@hrm-webgpu/tensor';
import { generateMaze, type MazeOptions } from './generator.js';
import { MAZE_VOCAB_SIZE, mazeTokensFromText } from './maze.js';

export interface MazePair {
  input: Grid;
  label: Grid;
}

export function buildMazeSplit(mazes: MazePair[], opts: { augment: boolean; onProgress?: OnProgress }): PuzzleDataset {
  if (mazes.length === 0) throw new Error('no mazes to build a split from');
  const { rows, cols } = mazes[0]!.input;
  const builder = new DatasetBuilder(rows * cols);
  mazes.forEach((m, i) => {
    for (let t = 0; t < (opts.augment ? DIHEDRAL_COUNT : 1); t++) {
      builder.addPuzzle(0, [{ input: dihedralTransform(m.input, t).data, label: dihedralTransform(m.label, t).data }]);
    }
    builder.endGroup();
    opts.onProgress?.(i + 1, mazes.length);
  });
  return builder.finish(
    { pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: MAZE_VOCAB_SIZE, num_puzzle_identifiers: 1 },
    { identifiers: ['<blank>'] },
  );
}

export function generateMazes(count: number, opts: MazeOptions, seed: number, onProgress?: OnProgress): MazePair[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: count }, (_, i) => {
    const maze = generateMaze(opts, rng);
    onProgress?.(i + 1, count);
    return maze;
  });
}

/** Reads the official maze CSV (square grids of `# SGo` row-major in question and answer). */
export function parseMazeCsv(lines: Iterable<string>, file: string): MazePair[] {
  return [...parsePuzzleCsv(lines, file)].map((row) => {
    const side = Math.round(Math.sqrt(row.question.length));
    if (side * side !== row.question.length) throw new Error(`${file}:${row.line}: ${row.question.length} cells do not form a square grid`);
    const grid = (text: string) => ({ rows: side, cols: side, data: mazeTokensFromText(text, `${file}:${row.line}`) });
    return { input: grid(row.question), label: grid(row.answer) };
  });
}
