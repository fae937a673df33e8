/**
 * The built `hrm` bin (what `npm run demo` and users run), not the sources: every command's help,
 * and a data build that exercises the bundled dependencies (the progress display).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = 'packages/hrm/dist/cli.js';
const work = mkdtempSync(join(tmpdir(), 'hrm-dist-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const hrm = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('built hrm bin', () => {
  it('exists (npm test builds first)', () => expect(existsSync(bin)).toBe(true));

  it.each(['train', 'eval', 'solve', 'demo', 'inspect', 'trace', 'data'])('%s --help', (command) => {
    expect(hrm(command, '--help')).toMatch(/Usage/i);
  });

  it('builds and shows a generated dataset', () => {
    const out = join(work, 'sudoku4');
    hrm('data', 'build', 'sudoku', '--generate', '20', '--size', '4', '--out', out);
    expect(existsSync(join(out, 'train', 'dataset.json'))).toBe(true);
    expect(hrm('data', 'show', out, '-n', '1')).toMatch(/\d/);
  });
});
