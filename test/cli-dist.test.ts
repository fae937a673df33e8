/**
 * The built `hrm` bin (what `npm run demo` and users run), not the sources: every command's help,
 * a data build that exercises the bundled dependencies (the progress display), and a training run
 * stopped by a real signal.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_TRAIN_FLAGS } from './hrm-cli.js';

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

  it('saves a checkpoint and exits 143 when a real SIGTERM arrives mid-training', async () => {
    const data = join(work, 'sudoku4-signal');
    hrm('data', 'build', 'sudoku', '--generate', '40', '--size', '4', '--out', data);
    const out = join(work, 'signalled');
    const child = spawn(process.execPath, [bin, 'train', '--data', data, '--out', out, ...TINY_TRAIN_FLAGS, '--steps', '100000'], {
      env: { ...process.env, HRM_CPU_THREADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      // The signal goes in once the loop is running: the first logged step.
      if (/train \d+\//.test(output) && child.signalCode === null && !child.killed) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, output).toBe(143);
    const stopped = /stopped by SIGTERM after saving step_(\d+)/.exec(output);
    expect(stopped, output).not.toBeNull();
    // A slow machine may pass a scheduled checkpoint before the signal lands: the one the message
    // names must exist, in full, and be the latest.
    const step = Number(stopped![1]);
    const files = readdirSync(out);
    expect(files).toEqual(expect.arrayContaining([`step_${step}.safetensors`, `step_${step}.train.safetensors`]));
    const saved = files.flatMap((f) => /^step_(\d+)\.safetensors$/.exec(f)?.[1] ?? []).map(Number);
    expect(Math.max(...saved)).toBe(step);
  }, 60_000);
});
