import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '@hrm-webgpu/tensor';
import { referenceDataDir } from '../node/testData.js';
import { numExamples } from '../dataset.js';
import { countGivens, isValidSolution, solvesPuzzle, type BoxSize } from './board.js';
import { applySudokuTransform, augmentSudoku, randomSudokuTransform } from './augment.js';
import { buildSudokuSplit, solveEntries, sudokuBoardFromTokens } from './build.js';
import { generateSudoku, randomSolvedBoard } from './generator.js';
import { parseBoard, parseSudokuCsv, parseSudokuLines, sameBoardSize } from './parse.js';
import { analyseSudoku, solveSudoku } from './solver.js';

const EASY = '53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79';

describe('solver', () => {
  it('solves a classic puzzle uniquely without backtracking', () => {
    const { board } = parseBoard(EASY, 'test');
    const r = analyseSudoku(board, 3);
    expect(r.unique).toBe(true);
    expect(isValidSolution(r.solution!, 3)).toBe(true);
    expect(solvesPuzzle(board, r.solution!)).toBe(true);
    expect(r.backtracks).toBe(0);
  });

  it('finds two solutions of an underdetermined board and none of a contradictory one', () => {
    expect(solveSudoku(new Int32Array(81), 3, 2).solutionCount).toBe(2);
    const bad = parseBoard('11' + '.'.repeat(79), 'test').board;
    expect(solveSudoku(bad, 3).solution).toBeNull();
  });
});

describe('augmentation', () => {
  it.each([2, 3] as BoxSize[])('keeps solutions valid and matched to their puzzles (box %i)', (box) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const rng = Rng.fromSeed(seed);
        const solution = randomSolvedBoard(box, rng);
        const puzzle = solution.map((v) => (rng.uniform() < 0.5 ? 0 : v));
        const aug = augmentSudoku(puzzle, solution, box, rng);
        expect(isValidSolution(aug.solution, box)).toBe(true);
        expect(solvesPuzzle(aug.puzzle, aug.solution)).toBe(true);
        expect(countGivens(aug.puzzle)).toBe(countGivens(puzzle));
      }),
      { numRuns: 100 },
    );
  });

  it('permutes rows within bands only', () => {
    const t = randomSudokuTransform(3, Rng.fromSeed(7));
    const bands = Array.from(t.rowPerm, (r) => Math.floor(r / 3));
    for (let i = 0; i < 9; i += 3) expect(new Set(bands.slice(i, i + 3)).size).toBe(1);
    const identity = { ...t, digitMap: Int32Array.from({ length: 10 }, (_, i) => i), transpose: true };
    const once = applySudokuTransform(
      Int32Array.from({ length: 81 }, (_, i) => i % 10),
      identity,
    );
    expect(once.length).toBe(81);
  });
});

describe('generator', () => {
  it.each([
    [2, 4],
    [3, 30],
  ] as [BoxSize, number][])('generates unique-solution puzzles (box %i, %i givens target)', (box, givens) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        const g = generateSudoku({ box, targetGivens: givens }, Rng.fromSeed(seed));
        const r = analyseSudoku(g.puzzle, box);
        expect(r.unique).toBe(true);
        expect(Array.from(r.solution!)).toEqual(Array.from(g.solution));
        expect(isValidSolution(g.solution, box)).toBe(true);
        expect(g.givens).toBeGreaterThanOrEqual(givens);
      }),
      { numRuns: box === 2 ? 50 : 10 },
    );
  });

  it("draws each puzzle's givens from a range (9x9, 40-50 blanks)", () => {
    const rng = Rng.fromSeed(5);
    const givens = Array.from({ length: 30 }, () => {
      const g = generateSudoku({ box: 3, targetGivens: 31, maxTargetGivens: 41 }, rng);
      expect(analyseSudoku(g.puzzle, 3).unique).toBe(true);
      return g.givens;
    });
    expect(Math.min(...givens)).toBeGreaterThanOrEqual(31);
    expect(Math.max(...givens)).toBeLessThanOrEqual(41);
    expect(new Set(givens).size).toBeGreaterThan(5);
    expect(() => generateSudoku({ box: 3, targetGivens: 31, maxTargetGivens: 30 }, rng)).toThrow(/maxTargetGivens \(30\) is below targetGivens \(31\)/);
  });

  it('honours a minimum difficulty', () => {
    const g = generateSudoku({ box: 3, minBacktracks: 1 }, Rng.fromSeed(3));
    expect(g.backtracks).toBeGreaterThanOrEqual(1);
  });
});

describe('readers', () => {
  it('reads puzzle lines with comments, naming file and line on errors', () => {
    const entries = [...parseSudokuLines(`# comment\n${EASY}\n\n${EASY.replace(/\./g, '0')}\n`.split('\n'), 'p.txt')];
    expect(entries.map((e) => e.box)).toEqual([3, 3]);
    expect(entries.map((e) => e.line)).toEqual([2, 4]);
    const parseAll = (text: string) => [...sameBoardSize(parseSudokuLines(text.split('\n'), 'p.txt'), 'p.txt')];
    expect(() => parseAll(`# c\n${EASY.slice(1)}x\n`)).toThrow(/p\.txt:2: invalid character 'x'/);
    expect(() => parseAll(`${EASY}\n123\n`)).toThrow(/p\.txt:2: expected 16 or 81 cells/);
    expect(() => parseAll(`${EASY}\n${'.'.repeat(16)}\n`)).toThrow(/p\.txt:2: a 4x4 board after 9x9 ones/);
  });

  it('reads the source,question,answer,rating CSV', () => {
    const answer = Array.from(analyseSudoku(parseBoard(EASY, 't').board, 3).solution!).join('');
    const csv = (rows: string) => [...parseSudokuCsv(`source,question,answer,rating\n${rows}\n`.split('\n'), 'e.csv')];
    expect(csv(`x,${EASY},${answer},5`)[0]!.rating).toBe(5);
    expect(() => csv(`x,${EASY},${answer}`)).toThrow(/e\.csv:2: expected 4 fields/);
    const wrong = answer.slice(0, 80) + (answer[80] === '9' ? '8' : '9');
    expect(() => solveEntries(csv(`x,${EASY},${wrong},5`), 'e.csv')).toThrow(/e\.csv:2: the answer is not a valid solution/);
  });
});

describe('dataset', () => {
  it('builds groups of 1 + augmentations with the original first', () => {
    const rng = Rng.fromSeed(1);
    const puzzles = [0, 1, 2].map(() => {
      const g = generateSudoku({ box: 2, targetGivens: 5 }, rng);
      return { puzzle: g.puzzle, solution: g.solution, rating: g.backtracks };
    });
    const d = buildSudokuSplit(puzzles, { box: 2, augmentations: 3, seed: 0 });
    expect(Array.from(d.groupIndices)).toEqual([0, 4, 8, 12]);
    expect(numExamples(d)).toBe(12);
    expect(d.metadata).toMatchObject({ seq_len: 16, vocab_size: 6, num_puzzle_identifiers: 1, mean_puzzle_examples: 1 });
    expect(Array.from(sudokuBoardFromTokens(d.inputs.subarray(0, 16)))).toEqual(Array.from(puzzles[0]!.puzzle));
    for (let e = 0; e < 12; e++) {
      const label = sudokuBoardFromTokens(d.labels.subarray(e * 16, e * 16 + 16));
      expect(isValidSolution(label, 2)).toBe(true);
      expect(solvesPuzzle(sudokuBoardFromTokens(d.inputs.subarray(e * 16, e * 16 + 16)), label)).toBe(true);
    }
  });
});

const top1465 = join(referenceDataDir(), 'sudoku', 'puzzles3_magictour_top1465.txt');

describe('reference puzzles', () => {
  it.runIf(existsSync(top1465))('solves and rates the first 300 of top1465, each uniquely', () => {
    const entries = [...parseSudokuLines(readFileSync(top1465, 'utf8').split('\n'), top1465)];
    const solved = solveEntries(entries.slice(0, 300), top1465);
    for (const s of solved) {
      expect(isValidSolution(s.solution, 3)).toBe(true);
      expect(solvesPuzzle(s.puzzle, s.solution)).toBe(true);
    }
    expect(solved.some((s) => s.rating > 0)).toBe(true);
  });
  if (!existsSync(top1465)) console.log(`skipping reference Sudoku tests: ${top1465} not found (set HRM_DATA_DIR)`);
});
