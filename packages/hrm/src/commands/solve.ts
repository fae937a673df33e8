/**
 * `hrm solve`: runs a checkpoint on one Sudoku puzzle for halt_max_steps segments and prints, for
 * every segment, the predicted board with the cells that changed marked and sigmoid(q_halt).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from './main.js';
import type { HRMConfig } from '../config.js';
import { givenConflict, isValidSolution, solvesPuzzle, type Board, type BoxSize } from '../data/sudoku/board.js';
import { analyseSudoku } from '../data/sudoku/solver.js';
import { sudokuBoardFromTokens, sudokuTokens } from '../data/sudoku/build.js';
import { parseBoard } from '../data/sudoku/parse.js';
import type { HRM } from '../model/hrm.js';
import { segmentPredictions } from '../train/segments.js';
import { numberFlag, parseFlags, stringFlag, UsageError } from './args.js';
import { backendFlags, initBackendFromFlags } from './backend.js';
import { loadModel } from '../node/load-model.js';
import { renderSudoku, sideBySide } from './sudoku-grid.js';

const usage = `Usage: hrm solve CHECKPOINT (--puzzle TEXT | --file FILE) [flags]

Solves one Sudoku (4x4 or 9x9) and shows each segment's prediction, the cells it changed
([x]) and sigmoid(q_halt), the model's confidence that it is done.

  --puzzle TEXT    the puzzle: 16 or 81 cells, '.' or '0' for blanks (spaces, '|', '-', '+' ignored)
  --file FILE      read the puzzle from a file (the first non-comment line, or a drawn grid)
  --segments N     segments to run (default: the configuration's halt_max_steps)
  --config FILE    configuration (JSON, or all_config.yaml) for checkpoints that have none
  --backend B      cpu | webgpu | auto`;

/** Accepts one-line puzzles and drawn grids: keeps digits and '.', drops layout characters. */
export function parsePuzzleText(text: string, where: string): { board: Board; box: BoxSize } {
  const lines = text.split('\n').filter((l) => !l.trim().startsWith('#'));
  const cells = lines.join('').replace(/[\s|+-]/g, '');
  return parseBoard(cells, where);
}

export async function printSolve(model: HRM, config: HRMConfig, puzzle: Board, segments = config.halt_max_steps): Promise<Board> {
  const box: BoxSize = puzzle.length === 16 ? 2 : 3;
  if (config.seq_len !== puzzle.length) {
    throw new Error(`the model expects sequences of ${config.seq_len} cells, the puzzle has ${puzzle.length}`);
  }
  const given = new Set<number>();
  puzzle.forEach((v, i) => v !== 0 && given.add(i));
  const color = process.stdout.isTTY === true;
  const results = await segmentPredictions(model, sudokuTokens(puzzle), segments);
  const blocks = [{ caption: 'puzzle', lines: renderSudoku(puzzle, box, { given, color }) }];
  let previous = puzzle;
  for (const [i, seg] of results.entries()) {
    const board = sudokuBoardFromTokens(seg.prediction);
    const changed = new Set<number>();
    board.forEach((v, k) => v !== previous[k] && changed.add(k));
    blocks.push({
      caption: `segment ${i + 1}: q=${seg.haltProbability.toFixed(3)}`,
      lines: renderSudoku(board, box, { marked: changed, given, color }),
    });
    previous = board;
  }
  // Wide 9x9 grids go in rows of three blocks; 4x4 ones fit more.
  const perRow = box === 2 ? 5 : 3;
  for (let i = 0; i < blocks.length; i += perRow) console.log(sideBySide(blocks.slice(i, i + perRow)) + '\n');
  const ok = isValidSolution(previous, box) && solvesPuzzle(puzzle, previous);
  console.log(`answer: ${ok ? 'a valid solution' : 'NOT a valid solution'} (q = sigmoid(q_halt); [x] = changed in that segment)`);
  return previous;
}

/** Refuses puzzles whose givens clash or that have no solution; notes a puzzle with several. */
function checkSolvable(board: Board, box: BoxSize, where: string): void {
  const conflict = givenConflict(board, box);
  if (conflict) throw new Error(`${where}: ${conflict}; the puzzle has no solution`);
  const { solution, unique } = analyseSudoku(board, box);
  if (!solution) throw new Error(`${where}: the puzzle has no solution (its givens contradict each other through the rules)`);
  if (!unique) console.log(`note: the puzzle has more than one solution; any of them counts as valid`);
}

export const solveCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(
      argv,
      {
        puzzle: { type: 'string' },
        file: { type: 'string' },
        segments: { type: 'string' },
        config: { type: 'string' },
        ...backendFlags,
      },
      true,
    );
    const [checkpoint, ...extra] = flags.positionals;
    if (checkpoint === undefined) throw new UsageError('missing the checkpoint file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const text = stringFlag(flags, 'puzzle');
    const file = stringFlag(flags, 'file');
    if ((text === undefined) === (file === undefined)) throw new UsageError('give exactly one of --puzzle and --file');
    let parsed: { board: Board; box: BoxSize };
    if (file !== undefined) {
      if (!existsSync(file)) throw new Error(`puzzle file ${file} not found`);
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      const oneLine = lines.length > 0 && /^[.0-9]{16}$|^[.0-9]{81}$/.test(lines[0]!.trim());
      parsed = parsePuzzleText(oneLine ? lines[0]! : lines.join('\n'), file);
    } else {
      parsed = parsePuzzleText(text!, '--puzzle');
    }
    checkSolvable(parsed.board, parsed.box, file ?? '--puzzle');
    await initBackendFromFlags(flags);
    const configFile = stringFlag(flags, 'config');
    const { model, config } = await loadModel(checkpoint, configFile);
    const segments = numberFlag(flags, 'segments', 'integer') ?? config.halt_max_steps;
    if (segments < 1) throw new UsageError('--segments must be at least 1');
    await printSolve(model, config, parsed.board, segments);
  },
};
