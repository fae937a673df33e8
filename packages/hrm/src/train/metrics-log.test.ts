import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsLog, readMetricsLog } from './metrics-log.js';
import type { MetricsRecord } from './metrics.js';

const record = (step: number, kind: MetricsRecord['kind'] = 'train'): MetricsRecord => ({
  kind,
  step,
  accuracy: 0.5,
  exact_accuracy: 0.25,
  q_halt_accuracy: 1,
  steps: 2,
  count: 4,
  time: step,
});

describe('MetricsLog', () => {
  it('appends one JSON line per record', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hrm-log-')), 'metrics.jsonl');
    const log = await MetricsLog.create(file);
    log.append(record(1));
    log.append(record(1, 'eval'));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readMetricsLog(file)).toEqual([record(1), record(1, 'eval')]);
  });

  it('drops the records after the resumed step', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hrm-log-')), 'metrics.jsonl');
    const log = await MetricsLog.create(file);
    for (const s of [1, 2, 3, 4]) log.append(record(s));
    log.append(record(2, 'eval'));
    const resumed = await MetricsLog.resume(file, 2);
    expect(resumed.records().map((r) => [r.kind, r.step])).toEqual([
      ['train', 1],
      ['train', 2],
      ['eval', 2],
    ]);
  });

  it('names the file and line of a broken record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrm-log-'));
    const file = join(dir, 'metrics.jsonl');
    writeFileSync(file, `${JSON.stringify(record(1))}\nnot json\n`);
    expect(() => readMetricsLog(file)).toThrow(`${file}:2: not a JSON record`);
    writeFileSync(file, '{"step":1}\n');
    expect(() => readMetricsLog(file)).toThrow(`${file}:1: not a metrics record`);
  });

  it('drops a torn last line on resume with a notice and appends after it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hrm-log-')), 'metrics.jsonl');
    const log = await MetricsLog.create(file);
    for (const s of [1, 2]) log.append(record(s));
    // A disk-full during the third append left half a record without its newline.
    writeFileSync(file, readFileSync(file, 'utf8') + JSON.stringify(record(3)).slice(0, 25), { flag: 'w' });
    expect(readMetricsLog(file)).toEqual([record(1), record(2)]);
    const notices: string[] = [];
    const resumed = await MetricsLog.resume(file, 2, (line) => notices.push(line));
    expect(notices).toEqual([`${file}: dropped a partial last line left by an interrupted write (25 characters)`]);
    resumed.append(record(3));
    expect(resumed.records()).toEqual([record(1), record(2), record(3)]);
  });

  it('names the file when an append fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrm-log-'));
    const log = await MetricsLog.create(join(dir, 'metrics.jsonl'));
    rmSync(dir, { recursive: true });
    expect(() => log.append(record(1))).toThrow(`cannot append to ${join(dir, 'metrics.jsonl')}: ENOENT`);
  });
});
