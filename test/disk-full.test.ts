/**
 * A full disk during training, simulated at the file-system calls: a checkpoint whose rename
 * fails and a metrics append cut short. The run exits 1 naming the file, earlier checkpoints stay
 * whole, no temporary is left, and `--resume` (once there is room again) ends exactly where a
 * run without the failure ends.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDemoData } from '../packages/hrm/src/data/demo.js';
import { writeDataset } from '../packages/hrm/src/data/node/datasetFiles.js';
import { readMetricsLog } from '../packages/hrm/src/train/metrics-log.js';
import { hrm, TINY_TRAIN_FLAGS } from './hrm-cli.js';

const disk = vi.hoisted(() => ({ failRenameTo: null as RegExp | null, failAppendOf: null as RegExp | null }));
const enospc = (call: string) => Object.assign(new Error(`ENOSPC: no space left on device, ${call}`), { code: 'ENOSPC' });

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (disk.failRenameTo?.test(to)) {
        disk.failRenameTo = null;
        throw enospc('rename');
      }
      return actual.rename(from, to);
    },
  };
});

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    appendFileSync: (file: string, data: string) => {
      if (disk.failAppendOf?.test(data)) {
        disk.failAppendOf = null;
        actual.appendFileSync(file, data.slice(0, 20)); // the part that fitted
        throw enospc('write');
      }
      return actual.appendFileSync(file, data);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'hrm-disk-full-'));
const data = join(root, 'sudoku4');
const run = [...TINY_TRAIN_FLAGS, '--steps', '4', '--eval-every', '2', '--log-every', '1'];
const strip = (dir: string) => readMetricsLog(join(dir, 'metrics.jsonl')).map(({ time: _t, ...rest }) => rest);
const files = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('step_') || f.endsWith('.tmp'))
    .sort();

beforeAll(() => {
  const { train, test } = generateDemoData({ trainPuzzles: 40, testPuzzles: 8, augmentations: 0, seed: 5 });
  writeDataset(data, { train, test });
});

describe('disk full', () => {
  const straight = join(root, 'straight');
  beforeAll(async () => {
    expect((await hrm('train', '--data', data, '--out', straight, ...run)).code).toBe(0);
  });

  it('a failed checkpoint write names the file, keeps the earlier checkpoint, leaves no temporary, and resume recovers exactly', async () => {
    const out = join(root, 'rename');
    disk.failRenameTo = /step_4\.train\.safetensors$/;
    const r = await hrm('train', '--data', data, '--out', out, ...run);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot write ${join(out, 'step_4.train.safetensors')}: ENOSPC`);
    expect(files(out)).toEqual(['step_2.safetensors', 'step_2.train.safetensors']);
    expect(readFileSync(join(out, 'step_2.safetensors'))).toEqual(readFileSync(join(straight, 'step_2.safetensors')));
    const resumed = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(resumed.code, resumed.err).toBe(0);
    expect(readFileSync(join(out, 'step_4.safetensors'))).toEqual(readFileSync(join(straight, 'step_4.safetensors')));
    expect(strip(out)).toEqual(strip(straight));
  });

  it('a metrics line cut short by a full disk is dropped on resume, and the run ends as one without the failure', async () => {
    const out = join(root, 'append');
    disk.failAppendOf = /"kind":"train","step":3,/;
    const r = await hrm('train', '--data', data, '--out', out, ...run);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot append to ${join(out, 'metrics.jsonl')}: ENOSPC`);
    expect(files(out)).toEqual(['step_2.safetensors', 'step_2.train.safetensors']);
    const resumed = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toContain('dropped a partial last line left by an interrupted write (20 characters)');
    expect(readFileSync(join(out, 'step_4.safetensors'))).toEqual(readFileSync(join(straight, 'step_4.safetensors')));
    expect(strip(out)).toEqual(strip(straight));
  });
});
