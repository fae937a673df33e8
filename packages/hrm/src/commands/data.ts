/**
 * `hrm data`: builds datasets in the official layout (Sudoku from puzzle files or generated,
 * Maze generated or from CSV, ARC from a task folder) and prints examples of a dataset.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { examplePuzzles, numExamples, numGroups, numPuzzles, type PuzzleDataset } from '../data/dataset.js';
import { generateMazes } from '../data/maze/build.js';
import { mazeHardThreshold } from '../data/maze/maze.js';
import { readDataset, writeDataset } from '../data/node/datasetFiles.js';
import { buildArcSource, buildMazeSource, buildSudokuSource, mazeSplits, sudokuSplits, type PhaseProgress, type Splits } from '../data/node/sources.js';
import { Rng } from '@hrm-webgpu/tensor';
import { renderExample } from '../data/show.js';
import type { BoxSize } from '../data/sudoku/board.js';
import { generateSudoku } from '../data/sudoku/generator.js';
import { createProgress, type Progress } from '../report/progress.js';
import { boolFlag, numberFlag, oneOf, parseFlags, requiredStringFlag, stringFlag, UsageError, type FlagSpec, type ParsedFlags } from './args.js';

const usage = `Usage:
  hrm data build sudoku (--source FILE | --generate N --size 4|9) --out DIR [flags]
      --source FILE        puzzle lines (81 or 16 characters, '.'/'0' blanks, '#' comments) or
                           a source,question,answer,rating CSV; puzzles are solved and rated
      --test-source FILE   test puzzles (default: hold out --test-fraction of --source)
      --test-fraction F    share of --source held out for test (default 0.1)
      --subsample N        keep N training puzzles       --min-rating R  keep puzzles rated >= R
      --skip-invalid       skip (and count) malformed lines and puzzles without a unique
                           solution instead of stopping at the first
      --generate N         generate N training puzzles (plus --test M, default N/10)
      --size 4|9           board size when generating
      --givens G | G1-G2   remove givens down to G (or to a target drawn from G1..G2 per puzzle)
      --min-backtracks B, --max-backtracks B   difficulty range of generated puzzles
  hrm data build maze (--size N --count N | --source FILE [--test-source FILE]) --out DIR [flags]
      --count N, --test N  mazes to generate for train and test (test default: count)
      --min-path L         shortest path longer than L (default: Maze-Hard, 110 at 30x30, scaled)
      --openings P         share of interior walls knocked out after carving (default 0.1)
      --dihedral           add the 8 dihedral images of each training maze
  hrm data build arc --source DIR --out DIR [--aug N] [--tasks N]
      DIR holds training/ and/or evaluation/ task files (e.g. ARC-AGI-1's data folder);
      --tasks N keeps N random tasks of each folder (quick runs)
  hrm data show DIR [--split train|test] [-n 3]

Common build flags: --aug N (augmented copies per training puzzle: Sudoku default 0, ARC 8;
mazes use --dihedral instead),
--seed S (default 0), --force (overwrite an existing dataset in --out).`;

interface CommonOptions {
  augmentations: number;
  seed: number;
}

const buildFlags: FlagSpec = {
  out: { type: 'string' },
  aug: { type: 'string' },
  seed: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** A progress bar (or plain lines off a terminal) per build phase, on stderr. */
const showProgress: PhaseProgress = (phase) => {
  let progress: Progress | undefined;
  return (done, total) => {
    progress ??= createProgress({ total, label: phase });
    progress.update(done);
    if (done === total) progress.stop();
  };
};

function nonNegativeInt(flags: ParsedFlags, name: string): number | undefined {
  const v = numberFlag(flags, name, 'integer');
  if (v !== undefined && v < 0) throw new UsageError(`--${name} must be >= 0, got ${v}`);
  return v;
}

function positiveInt(flags: ParsedFlags, name: string): number | undefined {
  const v = numberFlag(flags, name, 'integer');
  if (v !== undefined && v < 1) throw new UsageError(`--${name} must be >= 1, got ${v}`);
  return v;
}

/** --givens G or G1-G2 (G1 <= G2) as the generator's target range. */
function givensRange(raw: string | undefined): { targetGivens: number; maxTargetGivens?: number } {
  if (raw === undefined) return { targetGivens: 0 };
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(raw);
  const [min, max] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [NaN, NaN];
  if (!(min <= max)) throw new UsageError(`--givens expects G or G1-G2 with G1 <= G2, got '${raw}'`);
  return { targetGivens: min, maxTargetGivens: max };
}

function buildSudoku(flags: ParsedFlags, common: CommonOptions): Splits {
  const source = stringFlag(flags, 'source');
  const generate = positiveInt(flags, 'generate');
  if ((source === undefined) === (generate === undefined)) throw new UsageError('give exactly one of --source FILE and --generate N');
  if (source !== undefined) {
    const skipped: string[] = [];
    const splits = buildSudokuSource(source, {
      ...common,
      testFraction: numberFlag(flags, 'test-fraction'),
      testSource: stringFlag(flags, 'test-source'),
      subsample: positiveInt(flags, 'subsample'),
      minRating: numberFlag(flags, 'min-rating'),
      progress: showProgress,
      ...(boolFlag(flags, 'skip-invalid') ? { onInvalid: (message: string) => void skipped.push(message) } : {}),
    });
    if (skipped.length > 0) console.log(`skipped ${skipped.length} invalid puzzle(s); the first: ${skipped[0]}`);
    return splits;
  }
  const box: BoxSize = oneOf('--size', stringFlag(flags, 'size') ?? '9', ['4', '9'] as const) === '4' ? 2 : 3;
  const testCount = nonNegativeInt(flags, 'test') ?? Math.ceil(generate! / 10);
  const options = {
    box,
    ...givensRange(stringFlag(flags, 'givens')),
    minBacktracks: nonNegativeInt(flags, 'min-backtracks') ?? 0,
    maxBacktracks: nonNegativeInt(flags, 'max-backtracks') ?? Infinity,
  };
  const rng = Rng.fromSeed(common.seed, 7);
  const onProgress = showProgress('generate');
  const total = generate! + testCount;
  const puzzles = Array.from({ length: total }, (_, i) => {
    const g = generateSudoku(options, rng);
    onProgress?.(i + 1, total);
    return { puzzle: g.puzzle, solution: g.solution, rating: g.backtracks };
  });
  return sudokuSplits(puzzles.slice(0, generate), puzzles.slice(generate), box, { ...common, progress: showProgress });
}

function buildMaze(flags: ParsedFlags, common: CommonOptions): Splits {
  if (stringFlag(flags, 'aug') !== undefined) throw new UsageError('mazes take --dihedral (the 8 dihedral images), not --aug');
  const augmentMazes = boolFlag(flags, 'dihedral');
  const source = stringFlag(flags, 'source');
  if (source !== undefined) {
    const testSource = stringFlag(flags, 'test-source');
    return buildMazeSource(source, { ...common, augmentMazes, testSource, testFraction: numberFlag(flags, 'test-fraction'), progress: showProgress });
  }
  const size = positiveInt(flags, 'size');
  const count = positiveInt(flags, 'count');
  if (size === undefined || count === undefined) throw new UsageError('give --size N and --count N (or --source FILE)');
  const options = {
    size,
    minPathLength: nonNegativeInt(flags, 'min-path') ?? mazeHardThreshold(size),
    extraOpenings: numberFlag(flags, 'openings'),
  };
  const train = generateMazes(count, options, common.seed, showProgress('generate train'));
  const test = generateMazes(nonNegativeInt(flags, 'test') ?? count, options, common.seed + 1, showProgress('generate test'));
  return mazeSplits(train, test, { augmentMazes, progress: showProgress });
}

const builders = {
  sudoku: {
    flags: {
      source: { type: 'string' },
      'test-source': { type: 'string' },
      'test-fraction': { type: 'string' },
      subsample: { type: 'string' },
      'min-rating': { type: 'string' },
      generate: { type: 'string' },
      size: { type: 'string' },
      test: { type: 'string' },
      givens: { type: 'string' },
      'min-backtracks': { type: 'string' },
      'max-backtracks': { type: 'string' },
      'skip-invalid': { type: 'boolean' },
    },
    defaultAug: 0,
    build: buildSudoku,
  },
  maze: {
    flags: {
      source: { type: 'string' },
      'test-source': { type: 'string' },
      'test-fraction': { type: 'string' },
      size: { type: 'string' },
      count: { type: 'string' },
      test: { type: 'string' },
      'min-path': { type: 'string' },
      openings: { type: 'string' },
      dihedral: { type: 'boolean' },
    },
    defaultAug: 0,
    build: buildMaze,
  },
  arc: {
    flags: { source: { type: 'string' }, tasks: { type: 'string' } },
    defaultAug: 8,
    build: (flags: ParsedFlags, common: CommonOptions) =>
      buildArcSource(requiredStringFlag(flags, 'source'), { ...common, tasksPerFolder: positiveInt(flags, 'tasks'), progress: showProgress }),
  },
} satisfies Record<string, { flags: FlagSpec; defaultAug: number; build: (f: ParsedFlags, c: CommonOptions) => Splits }>;

function describeSplit(name: string, d: PuzzleDataset): string {
  const m = d.metadata;
  const mib = ((d.inputs.length + d.labels.length) / 2 ** 20).toFixed(1);
  return `${name}: ${numGroups(d)} groups, ${numPuzzles(d)} puzzles, ${numExamples(d)} examples (seq_len ${m.seq_len}, vocab ${m.vocab_size}, ${m.num_puzzle_identifiers} identifiers; about ${mib} MiB as uint8)`;
}

async function runBuild(argv: string[]): Promise<void> {
  const [kind, ...rest] = argv;
  if (kind === undefined || kind.startsWith('-')) throw new UsageError('hrm data build needs a kind: sudoku, maze or arc');
  const builder = builders[oneOf('kind', kind, ['sudoku', 'maze', 'arc'] as const)];
  const flags = parseFlags(rest, { ...buildFlags, ...builder.flags });
  if (boolFlag(flags, 'help')) return void console.log(usage);
  const out = requiredStringFlag(flags, 'out');
  if (!boolFlag(flags, 'force') && ['train', 'test'].some((s) => existsSync(join(out, s, 'dataset.json')))) {
    throw new UsageError(`${out} already holds a dataset; pass --force to overwrite it`);
  }
  const common = { augmentations: nonNegativeInt(flags, 'aug') ?? builder.defaultAug, seed: numberFlag(flags, 'seed', 'integer') ?? 0 };
  const started = Date.now();
  const splits = builder.build(flags, common);
  const written = Object.fromEntries(Object.entries(splits).filter((e): e is [string, PuzzleDataset] => e[1] !== undefined));
  writeDataset(out, written);
  for (const [name, d] of Object.entries(written)) console.log(describeSplit(name, d));
  console.log(`wrote ${out} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

async function runShow(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { split: { type: 'string' }, n: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } }, true);
  if (boolFlag(flags, 'help')) return void console.log(usage);
  const [dir, ...extra] = flags.positionals;
  if (dir === undefined) throw new UsageError('hrm data show needs a dataset folder');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const split = stringFlag(flags, 'split') ?? 'train';
  const count = positiveInt(flags, 'n') ?? 3;
  const d = readDataset(dir, split);
  console.log(describeSplit(split, d));
  console.log(JSON.stringify(d.metadata));
  const puzzleOf = examplePuzzles(d);
  for (let e = 0; e < Math.min(count, numExamples(d)); e++) {
    const id = d.puzzleIdentifiers[puzzleOf[e]!]!;
    console.log(`\n${renderExample(d, e, d.identifiers?.[id] ?? String(id))}`);
  }
}

/** Entry point of `hrm data ...` (argv without `data`). */
export async function runDataCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') return void console.log(usage);
  if (sub === 'build') return runBuild(rest);
  if (sub === 'show') return runShow(rest);
  throw new UsageError(`unknown subcommand '${sub}' (expected build or show)`);
}
