import { describe, expect, it } from 'vitest';
import { buildArcDataset } from './arc/build.js';
import { buildMazeSplit } from './maze/build.js';
import { generateMaze } from './maze/generator.js';
import { mazeToText } from './maze/maze.js';
import { Rng } from '@hrm-webgpu/tensor';
import { datasetKind, renderExample } from './show.js';
import { buildSudokuSplit } from './sudoku/build.js';
import { generateSudoku } from './sudoku/generator.js';

describe('renderExample', () => {
  it('draws Sudoku digits with blanks as dots', () => {
    const g = generateSudoku({ box: 2, targetGivens: 6 }, Rng.fromSeed(1));
    const d = buildSudokuSplit([{ puzzle: g.puzzle, solution: g.solution, rating: 0 }], { box: 2, augmentations: 0, seed: 0 });
    expect(datasetKind(d.metadata)).toBe('sudoku');
    const lines = renderExample(d, 0, '<blank>').split('\n');
    expect(lines).toHaveLength(2 + 4);
    const solutionRow = Array.from(g.solution.subarray(0, 4)).join(' ');
    expect(lines[2]!.endsWith(solutionRow)).toBe(true);
  });

  it('draws mazes with their characters and the path in the label', () => {
    const m = generateMaze({ size: 7, minPathLength: 3 }, Rng.fromSeed(2));
    const d = buildMazeSplit([m], { augment: false });
    expect(datasetKind(d.metadata)).toBe('maze');
    const text = renderExample(d, 0, 'm');
    expect(text).toContain(mazeToText(m.label).split('\n')[1]);
    expect(text).toContain('o');
  });

  it('draws the occupied part of an ARC canvas', () => {
    const task = { train: [{ input: { rows: 1, cols: 2, data: Int32Array.of(3, 0) }, output: { rows: 1, cols: 1, data: Int32Array.of(9) } }], test: [] };
    const { train } = buildArcDataset([{ name: 't', split: 'training', task }], { augmentations: 0, seed: 0 });
    expect(datasetKind(train.metadata)).toBe('arc');
    const lines = renderExample(train, 0, 't').split('\n');
    expect(lines[2]).toMatch(/^30\|\s+9\|$/);
    expect(lines[3]).toMatch(/^\|\|·\s+\|\?$/);
  });
});
