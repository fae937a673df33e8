import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readDataset } from '../data/node/datasetFiles.js';
import { UsageError } from './args.js';
import { runDataCommand } from './data.js';

const root = mkdtempSync(join(tmpdir(), 'hrm-data-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the command with console output captured. */
async function run(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runDataCommand(argv);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return lines.join('\n');
}

describe('hrm data', () => {
  it('builds a generated 4x4 Sudoku dataset and shows it', async () => {
    const out = join(root, 's4');
    const text = await run(['build', 'sudoku', '--generate', '12', '--size', '4', '--test', '3', '--aug', '2', '--out', out]);
    expect(text).toMatch(/train: 12 groups, 36 puzzles, 36 examples/);
    expect(readDataset(out, 'test').puzzleIndices.length).toBe(4);
    const shown = await run(['show', out, '-n', '2', '--split', 'test']);
    expect(shown.match(/^example \d/gm)).toHaveLength(2);
    await expect(run(['build', 'sudoku', '--generate', '2', '--size', '4', '--out', out])).rejects.toThrow(/already holds a dataset/);
  });

  it('skips and counts invalid puzzle lines with --skip-invalid, and stops at the first without it', async () => {
    const source = join(root, 'mixed.txt');
    // A unique 4x4 puzzle, one with several solutions, one with repeated givens, one malformed line.
    const unique = '1...' + '..2.' + '.3..' + '...4';
    writeFileSync(source, [unique, '1...............', '11..............', '12x4............', '12433421431221.4'].join('\n') + '\n');
    await expect(run(['build', 'sudoku', '--source', source, '--out', join(root, 'strict')])).rejects.toThrow(`${source}:4: invalid character`);
    const text = await run(['build', 'sudoku', '--source', source, '--skip-invalid', '--test-fraction', '0', '--out', join(root, 'lenient')]);
    expect(text).toContain(`skipped 3 invalid puzzle(s); the first: ${source}:4: invalid character 'x'`);
    expect(readDataset(join(root, 'lenient'), 'train').puzzleIndices.length - 1).toBe(2);
  });

  it('builds a small maze dataset', async () => {
    const out = join(root, 'maze');
    const text = await run(['build', 'maze', '--size', '9', '--count', '4', '--test', '2', '--dihedral', '--out', out]);
    expect(text).toMatch(/train: 4 groups, 32 puzzles/);
    expect(readDataset(out, 'test').metadata.seq_len).toBe(81);
  });

  it('rejects unknown flags, missing values and bad kinds as usage errors', async () => {
    await expect(run(['build', 'sudoku', '--bogus', '--out', root])).rejects.toThrow(UsageError);
    await expect(run(['build', 'sudoku', '--generate', '3', '--out'])).rejects.toThrow(/--out <value>' argument missing/);
    await expect(run(['build', 'maze', '--size', '9', '--out', join(root, 'x')])).rejects.toThrow(/--count/);
    await expect(run(['build', 'cube'])).rejects.toThrow(/kind must be one of sudoku, maze, arc/);
    await expect(run(['build', 'sudoku', '--generate', 'ten', '--out', root])).rejects.toThrow(/--generate expects a number/);
    await expect(run(['frobnicate'])).rejects.toThrow(/unknown subcommand/);
  });
});
