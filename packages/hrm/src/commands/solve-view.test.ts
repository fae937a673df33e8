import { describe, expect, it } from 'vitest';
import { difficultyBuckets } from '../report/difficulty.js';
import { parsePuzzleText } from './solve.js';
import { renderSudoku, sideBySide } from './sudoku-grid.js';

describe('puzzle text', () => {
  it('reads one-line puzzles and drawn grids alike', () => {
    const line = parsePuzzleText('1...0.2..3.....4', 'x');
    const grid = parsePuzzleText(' 1 . | . .\n . . | 2 .\n-----+-----\n . 3 | . .\n . . | . 4\n', 'x');
    expect(line.box).toBe(2);
    expect(Array.from(grid.board)).toEqual(Array.from(line.board));
    expect(() => parsePuzzleText('12345', '--puzzle')).toThrow(/--puzzle: expected 16 or 81 cells/);
  });
});

describe('grids', () => {
  it('draws boxes and marks the chosen cells', () => {
    const lines = renderSudoku(Int32Array.from([1, 0, 0, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 4]), 2, { marked: new Set([0]) });
    expect(lines).toEqual(['[1] . | .  . ', ' .  . | 2  . ', '------+------', ' .  3 | .  . ', ' .  . | .  4 ']);
    expect(
      sideBySide(
        [
          { caption: 'a', lines: ['x'] },
          { caption: 'b', lines: ['y', 'z'] },
        ],
        1,
      ).split('\n'),
    ).toEqual(['a b', 'x y', '  z']);
  });
});

describe('difficulty buckets', () => {
  it('groups exactness by rating range and drops empty buckets', () => {
    const buckets = difficultyBuckets([0, 0, 2, 150], [1, 0, 1, 0]);
    expect(buckets.map((b) => [b.label, b.count, b.exact_accuracy])).toEqual([
      ['0', 2, 0.5],
      ['1-2', 1, 1],
      ['100+', 1, 0],
    ]);
  });
});
