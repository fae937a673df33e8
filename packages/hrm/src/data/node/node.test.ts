import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildArcDataset } from '../arc/build.js';
import { IGNORE_LABEL_ID, type PuzzleDataset } from '../dataset.js';
import { generateMazes } from '../maze/build.js';
import { mazeToText } from '../maze/maze.js';
import { Rng } from '@hrm-webgpu/tensor';
import { boardToLine } from '../sudoku/board.js';
import { generateSudoku } from '../sudoku/generator.js';
import { serializeNpy } from '../npy.js';
import { readDataset, writeDataset } from './datasetFiles.js';
import { readLines } from './readLines.js';
import { buildSudokuSource, detectSource, loadPuzzleSource, loadPuzzleSourceSplits } from './sources.js';

const root = mkdtempSync(join(tmpdir(), 'hrm-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const plain = (d: PuzzleDataset) => ({
  metadata: d.metadata,
  inputs: Array.from(d.inputs),
  labels: Array.from(d.labels),
  puzzleIdentifiers: Array.from(d.puzzleIdentifiers),
  puzzleIndices: Array.from(d.puzzleIndices),
  groupIndices: Array.from(d.groupIndices),
  identifiers: d.identifiers,
  ratings: d.ratings && Array.from(d.ratings),
});

function sudokuFile(name: string, count: number, box: 2 | 3): string {
  const rng = Rng.fromSeed(count);
  const lines = Array.from({ length: count }, () => boardToLine(generateSudoku({ box, targetGivens: box === 2 ? 5 : 30 }, rng).puzzle));
  const file = join(root, name);
  writeFileSync(file, `# generated\n${lines.join('\n')}\n`);
  return file;
}

let tiny: PuzzleDataset | undefined;
function tinyArcSplit(): PuzzleDataset {
  tiny ??= buildArcDataset(
    [
      {
        name: 'z',
        split: 'training',
        task: { train: [{ input: { rows: 1, cols: 1, data: Int32Array.of(1) }, output: { rows: 1, cols: 1, data: Int32Array.of(2) } }], test: [] },
      },
    ],
    { augmentations: 0, seed: 0 },
  ).train;
  return tiny;
}

describe('dataset folders', () => {
  it('write then read gives back the same arrays, with PAD labels as -100', () => {
    const task = (v: number) => ({
      train: [{ input: { rows: 1, cols: 2, data: Int32Array.of(v, 1) }, output: { rows: 2, cols: 1, data: Int32Array.of(2, v) } }],
      test: [{ input: { rows: 1, cols: 1, data: Int32Array.of(v) }, output: { rows: 1, cols: 1, data: Int32Array.of(3) } }],
    });
    const { train, test } = buildArcDataset(
      [
        { name: 'x', split: 'training', task: task(4) },
        { name: 'y', split: 'evaluation', task: task(5) },
      ],
      { augmentations: 2, seed: 1 },
    );
    const dir = join(root, 'arc');
    writeDataset(dir, { train, test });
    expect(JSON.parse(readFileSync(join(dir, 'identifiers.json'), 'utf8'))).toEqual(train.identifiers);
    expect(plain(readDataset(dir, 'train'))).toEqual(plain(train));
    expect(plain(readDataset(join(dir, 'test'), 'ignored'))).toEqual(plain(test));
    expect(readDataset(dir, 'train').labels.includes(IGNORE_LABEL_ID)).toBe(true);
  });

  it('names the file when an array is missing or malformed', () => {
    const dir = join(root, 'broken');
    const d = tinyArcSplit();
    writeDataset(dir, { train: d });
    writeFileSync(join(dir, 'train', 'all__labels.npy'), 'nonsense');
    expect(() => readDataset(dir, 'train')).toThrow(/all__labels\.npy: not a \.npy file/);
    rmSync(join(dir, 'train', 'all__labels.npy'));
    expect(() => readDataset(dir, 'train')).toThrow(/all__labels\.npy: missing/);
    expect(() => readDataset(dir, 'test')).toThrow(/no dataset\.json/);
    mkdirSync(join(dir, 'train', 'all__labels.npy'));
    expect(() => readDataset(dir, 'train')).toThrow(/all__labels\.npy: cannot read: EISDIR/);
  });

  it('refuses set names that would leave the folder, offsets that do not start at 0, empty groups and broken JSON', () => {
    const dir = join(root, 'hostile');
    writeDataset(dir, { train: tinyArcSplit() });
    const meta = join(dir, 'train', 'dataset.json');
    const saved = JSON.parse(readFileSync(meta, 'utf8'));
    for (const set of ['../../x', '/etc/x', '.hidden', 'a/b', '', 7]) {
      writeFileSync(meta, JSON.stringify({ ...saved, sets: [set] }));
      expect(() => readDataset(dir, 'train'), String(set)).toThrow(`${meta}: field "sets" holds ${JSON.stringify(set)}`);
    }
    writeFileSync(meta, JSON.stringify({ ...saved, seq_len: 1e7 }));
    expect(() => readDataset(dir, 'train')).toThrow(`${meta}: field "seq_len" must be an integer in [1, 16384], found 10000000.`);
    writeFileSync(meta, '{"pad_id": 0,');
    expect(() => readDataset(dir, 'train')).toThrow(`${meta}: not valid JSON`);
    writeFileSync(meta, JSON.stringify(saved));
    const offsets = join(dir, 'train', 'all__puzzle_indices.npy');
    const good = readFileSync(offsets);
    writeFileSync(offsets, serializeNpy(Int32Array.of(1, 1), [2], 'int32'));
    expect(() => readDataset(dir, 'train')).toThrow(`${offsets}: offsets must start with 0, found 1`);
    writeFileSync(offsets, good);
    // Two groups, the second empty: training would draw a puzzle from nothing.
    writeFileSync(join(dir, 'train', 'all__group_indices.npy'), serializeNpy(Int32Array.of(0, 1, 1), [3], 'int32'));
    writeFileSync(meta, JSON.stringify({ ...saved, total_groups: 2 }));
    expect(() => readDataset(dir, 'train')).toThrow(/group_indices must be strictly increasing: entry 1 \(1\) to 2 \(1\) leaves 1 without a puzzle/);
    writeFileSync(join(dir, 'identifiers.json'), '["a", ');
    writeFileSync(join(dir, 'train', 'all__group_indices.npy'), serializeNpy(Int32Array.of(0, 1), [2], 'int32'));
    writeFileSync(meta, JSON.stringify(saved));
    expect(() => readDataset(dir, 'train')).toThrow(`${join(dir, 'identifiers.json')}: not valid JSON`);
  });
});

describe('raw sources', () => {
  it('builds Sudoku splits from a puzzle-line file, holding out a test share', async () => {
    const file = sudokuFile('four.txt', 20, 2);
    expect(detectSource(file)).toBe('sudoku-lines');
    const { train, test } = await loadPuzzleSourceSplits(file, { augmentations: 2, testFraction: 0.25, seed: 3 });
    expect(train!.groupIndices.length - 1).toBe(15);
    expect(train!.puzzleIndices.length - 1).toBe(45);
    expect(test!.puzzleIndices.length - 1).toBe(5);
    expect(train!.metadata).toMatchObject({ seq_len: 16, vocab_size: 6 });
    const only = await loadPuzzleSource(file, { split: 'test', testFraction: 0.25, seed: 3 });
    expect(Array.from(only.inputs)).toEqual(Array.from(test!.inputs));
  });

  it('samples training puzzles while reading when the test split has its own file', () => {
    const train = sudokuFile('train4.txt', 30, 2);
    const test = sudokuFile('test4.txt', 4, 2);
    const { train: t, test: u } = buildSudokuSource(train, { testSource: test, subsample: 10, seed: 5 });
    expect(t!.groupIndices.length - 1).toBe(10);
    expect(u!.groupIndices.length - 1).toBe(4);
  });

  it('reads the Sudoku CSV and a Maze CSV', async () => {
    const rng = Rng.fromSeed(4);
    const g = generateSudoku({ box: 3, targetGivens: 30 }, rng);
    const sudokuCsv = join(root, 's.csv');
    writeFileSync(sudokuCsv, `source,question,answer,rating\ngen,${boardToLine(g.puzzle)},${boardToLine(g.solution)},7\n`);
    expect(detectSource(sudokuCsv)).toBe('sudoku-csv');
    const s = await loadPuzzleSource(sudokuCsv, { split: 'train', testFraction: 0 });
    expect(Array.from(s.ratings!)).toEqual([7]);

    const mazes = generateMazes(3, { size: 9, minPathLength: 4 }, 0);
    const mazeCsv = join(root, 'm.csv');
    const row = (t: string) => t.replace(/\n/g, '');
    writeFileSync(mazeCsv, `source,question,answer,rating\n${mazes.map((m) => `g,${row(mazeToText(m.input))},${row(mazeToText(m.label))},0`).join('\n')}\n`);
    expect(detectSource(mazeCsv)).toBe('maze-csv');
    const m = await loadPuzzleSource(mazeCsv, { split: 'train', testFraction: 0, augmentMazes: true });
    expect(m.groupIndices.length - 1).toBe(3);
    expect(m.puzzleIndices.length - 1).toBe(24);
  });

  it('builds both splits from an ARC folder and reads a dataset folder back', async () => {
    const arc = join(root, 'arcsrc');
    for (const split of ['training', 'evaluation']) mkdirSync(join(arc, split), { recursive: true });
    const task = JSON.stringify({ train: [{ input: [[1, 2]], output: [[2], [1]] }], test: [{ input: [[3]], output: [[4]] }] });
    writeFileSync(join(arc, 'training', 'aa.json'), task);
    writeFileSync(join(arc, 'evaluation', 'bb.json'), task);
    writeFileSync(join(arc, 'evaluation', 'cc.json'), '{"train": [{"input": [[1, 2]], "output": [[1], [2, 3]]}], "test": []}');
    await expect(loadPuzzleSourceSplits(arc)).rejects.toThrow(/cc\.json: train\[0\]\.output\[1\]: expected 1 cells/);
    rmSync(join(arc, 'evaluation', 'cc.json'));
    expect(detectSource(arc)).toBe('arc');
    const splits = await loadPuzzleSourceSplits(arc, { augmentations: 1 });
    expect(splits.train!.groupIndices.length - 1).toBe(2);
    expect(splits.test!.groupIndices.length - 1).toBe(1);
    const out = join(root, 'arcout');
    writeDataset(out, { train: splits.train!, test: splits.test! });
    expect(detectSource(out)).toBe('dataset');
    const back = await loadPuzzleSourceSplits(out);
    expect(plain(back.test!)).toEqual(plain(splits.test!));
  });
});

describe('readLines', () => {
  it('splits lines across chunk boundaries and keeps a last line without newline', () => {
    const file = join(root, 'big.txt');
    const line = (i: number) => `${i}:`.padEnd(81, '.');
    const count = 70_000; // about 5.7 MB: more than one 4 MiB chunk
    const expected = Array.from({ length: count }, (_, i) => line(i));
    writeFileSync(file, expected.join('\r\n'));
    const read = Array.from(readLines(file), (l) => l.replace(/\r$/, ''));
    expect(read.length).toBe(count);
    expect(read.every((l, i) => l === expected[i])).toBe(true);
    expect(() => [...readLines(join(root, 'absent.txt'))]).toThrow(/absent\.txt: cannot read: ENOENT/);
  });
});
