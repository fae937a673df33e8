/**
 * The failure probes of the reliability review, end to end on the CPU backend: divergence,
 * hostile stored configurations and training states, torn logs, stale temporaries and a signal
 * during training. Each checks the README's promises: checkpoints are only added, written
 * atomically, never hold non-finite weights, and resume exactly.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SafetensorsMap } from '@hrm-webgpu/tensor';
import { readSafetensorsFile, writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDemoData } from '../packages/hrm/src/data/demo.js';
import { writeDataset } from '../packages/hrm/src/data/node/datasetFiles.js';
import { MetricsLog, readMetricsLog } from '../packages/hrm/src/train/metrics-log.js';
import { hrm, TINY_TRAIN_FLAGS } from './hrm-cli.js';

const root = mkdtempSync(join(tmpdir(), 'hrm-reliability-'));
const data = join(root, 'sudoku4');
const tiny = TINY_TRAIN_FLAGS;
const checkpoints = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('step_'))
    .sort();

/** A run of `steps` steps stopped at `stopAt`, checkpointed every `every` steps. */
async function stoppedRun(name: string, stopAt = 2, extra: string[] = []): Promise<string> {
  const out = join(root, name);
  const r = await hrm('train', '--data', data, '--out', out, ...tiny, '--steps', '4', '--eval-every', String(stopAt), '--stop-at', String(stopAt), ...extra);
  expect(r.code, r.err).toBe(0);
  return out;
}

/** Rewrites a safetensors file after `edit` changed its tensors (in place) or metadata. */
async function rewrite(file: string, edit: (map: SafetensorsMap, metadata: Record<string, string>) => void): Promise<void> {
  const map = await readSafetensorsFile(file);
  const metadata = { ...map.metadata };
  edit(map, metadata);
  await writeSafetensorsFile(file, Object.fromEntries(map), metadata);
}

beforeAll(() => {
  const { train, test } = generateDemoData({ trainPuzzles: 40, testPuzzles: 8, augmentations: 0, seed: 5 });
  writeDataset(data, { train, test });
});

afterEach(() => vi.restoreAllMocks());

describe('divergence', () => {
  it('stops at the first non-finite step with exit code 1, logs it and writes no checkpoint after it', async () => {
    const out = join(root, 'diverged');
    const r = await hrm('train', '--data', data, '--out', out, ...tiny, '--lr', '1e30', '--steps', '6', '--eval-every', '3');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training diverged at step (\d+): the loss is (NaN|Infinity|-Infinity) and the gradient norm/);
    const step = Number(/at step (\d+)/.exec(r.err)![1]);
    expect(r.err).toContain(`No checkpoint is written after it; the last one is ${step > 3 ? 'step_3' : 'none'}`);
    expect(checkpoints(out).filter((f) => Number(/step_(\d+)/.exec(f)![1]) >= step)).toEqual([]);
    const records = readMetricsLog(join(out, 'metrics.jsonl'));
    expect(records.at(-1)!.step).toBe(step);
    expect(records.at(-1)!.loss ?? null).toBeNull(); // NaN is written as null in JSON
  });

  it('skips up to --skip-nonfinite steps, then stops naming the count', async () => {
    const out = join(root, 'skipped');
    const r = await hrm('train', '--data', data, '--out', out, ...tiny, '--lr', '1e30', '--steps', '8', '--skip-nonfinite', '2', '--log-every', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/3 non-finite steps skipped, more than skip_nonfinite 2 allows/);
    const skipped = readMetricsLog(join(out, 'metrics.jsonl')).filter((x) => x.skipped);
    expect(skipped).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).training.skip_nonfinite).toBe(2);
  });

  it('refuses to resume from a training state with a NaN planted in the optimiser moments', async () => {
    const out = await stoppedRun('planted-nan');
    await rewrite(join(out, 'step_2.train.safetensors'), (map) => {
      map.get('state.optimizer.m.0')!.data[0] = Number.NaN;
    });
    const r = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/step_2\.train\.safetensors: training state field "optimizer\.m\.0" holds NaN at index 0/);
    expect(checkpoints(out)).toEqual(['step_2.safetensors', 'step_2.train.safetensors']);
  });
});

describe('stored configuration and state are checked before use', () => {
  it.each([
    [-5, /field "step" must be an integer in \[0, 1099511627776\], found -5/],
    ['1', /field "step" must be an integer in \[0, 1099511627776\], found "1"/],
    [10.5, /field "step" must be an integer/],
    ['../x/', /field "step" must be an integer/],
    [3, /metadata 'hrm_training' says step 3, the file name step 2/],
  ])('a stored step of %j is refused and nothing is overwritten', async (step, message) => {
    const out = await stoppedRun(`step-${String(step).replace(/\W/g, '_')}`);
    await rewrite(join(out, 'step_2.train.safetensors'), (_entries, metadata) => {
      metadata.hrm_training = JSON.stringify({ ...JSON.parse(metadata.hrm_training!), step });
    });
    const before = readFileSync(join(out, 'step_2.safetensors'));
    const r = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(checkpoints(out)).toEqual(['step_2.safetensors', 'step_2.train.safetensors']);
    expect(readFileSync(join(out, 'step_2.safetensors'))).toEqual(before);
  });

  it('refuses a run.json whose configuration is out of bounds or not JSON, naming the file and field', async () => {
    const out = await stoppedRun('bad-run-json');
    const file = join(out, 'run.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...saved, arch: { ...saved.arch, H_cycles: 1e9 } }));
    let r = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file} "arch": field "H_cycles" must be an integer in [1, 64], found 1000000000.`);
    writeFileSync(file, JSON.stringify({ ...saved, training: { ...saved.training, global_batch_size: 0 } }));
    r = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(r.err).toContain(`${file} "training": field "global_batch_size" must be an integer in [1, 65536], found 0.`);
    writeFileSync(file, '{"arch": ');
    r = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(r.err).toContain(`${file}: cannot read it as JSON`);
  });

  it('refuses a checkpoint whose hrm_config is hostile or broken before building the model', async () => {
    const out = await stoppedRun('bad-hrm-config');
    const ckpt = join(out, 'step_2.safetensors');
    await rewrite(ckpt, (_entries, metadata) => {
      metadata.hrm_config = JSON.stringify({ ...JSON.parse(metadata.hrm_config!), H_layers: 1e6 });
    });
    let r = await hrm('solve', ckpt, '--puzzle', '1...' + '..2.' + '.3..' + '...4', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${ckpt} (stored configuration): field "H_layers" must be an integer in [1, 64], found 1000000.`);
    await rewrite(ckpt, (_entries, metadata) => {
      metadata.hrm_config = '{"hidden_size": 1';
    });
    r = await hrm('inspect', ckpt);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${ckpt}: metadata 'hrm_config' is not valid JSON`);
  });
});

describe('solve', () => {
  it('refuses puzzles with repeated givens or no solution before loading anything', async () => {
    const none = join(root, 'no-such-checkpoint.safetensors');
    let r = await hrm('solve', none, '--puzzle', '11..............');
    expect(r.code).toBe(1);
    expect(r.err).toContain('--puzzle: the givens repeat 1 in row 1 (cells 1 and 2); the puzzle has no solution');
    r = await hrm('solve', none, '--puzzle', '12..' + '....' + '..3.' + '..4.');
    expect(r.code).toBe(1);
    expect(r.err).toContain('--puzzle: the puzzle has no solution (its givens contradict each other through the rules)');
    r = await hrm('solve', none, '--puzzle', '1...............');
    expect(r.out).toContain('note: the puzzle has more than one solution');
    expect(r.err).toContain(none); // then the missing checkpoint, by name
  });
});

describe('interrupted writes and runs', () => {
  it('resumes after a torn metrics line and stale temporaries, exactly as a straight run', async () => {
    const straight = join(root, 'torn-straight');
    expect((await hrm('train', '--data', data, '--out', straight, ...tiny, '--steps', '4', '--eval-every', '2', '--log-every', '1')).code).toBe(0);
    const out = await stoppedRun('torn', 2, ['--log-every', '1']);
    appendFileSync(join(out, 'metrics.jsonl'), '{"kind":"train","step":3,"ep');
    writeFileSync(join(out, '.step_4.safetensors.0123456789ab.tmp'), 'half a checkpoint');
    const r = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('dropped a partial last line left by an interrupted write');
    expect(r.out).toContain('removed 1 temporary file(s) that an interrupted write left');
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(out, 'step_4.safetensors'))).toEqual(readFileSync(join(straight, 'step_4.safetensors')));
    const strip = (dir: string) => readMetricsLog(join(dir, 'metrics.jsonl')).map(({ time: _t, ...rest }) => rest);
    expect(strip(out)).toEqual(strip(straight));
  });

  it('saves a checkpoint of the current step on SIGINT, exits 130, and resumes from it', async () => {
    const out = join(root, 'interrupted');
    const append = MetricsLog.prototype.append;
    vi.spyOn(MetricsLog.prototype, 'append').mockImplementation(function (this: MetricsLog, record) {
      append.call(this, record);
      // The signal arrives while step 2's record is written; the loop finishes step 3, then saves it.
      if (record.kind === 'train' && record.step === 2) process.emit('SIGINT', 'SIGINT');
    });
    const r = await hrm('train', '--data', data, '--out', out, ...tiny, '--steps', '6', '--eval-every', '4', '--eval-limit', '4', '--log-every', '1');
    vi.restoreAllMocks();
    expect(r.code).toBe(130);
    expect(r.err).toContain(`stopped by SIGINT after saving step_3 in ${out}; continue with --resume`);
    expect(checkpoints(out)).toEqual(['step_3.safetensors', 'step_3.train.safetensors']);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).training.eval_limit).toBe(4);
    const resumed = await hrm('train', '--out', out, '--resume', '--backend', 'cpu', '--no-progress');
    expect(resumed.code, resumed.err).toBe(0);
    expect(checkpoints(out)).toEqual([
      'step_3.safetensors',
      'step_3.train.safetensors',
      'step_4.safetensors',
      'step_4.train.safetensors',
      'step_6.safetensors',
      'step_6.train.safetensors',
    ]);
    // --eval-limit came back from run.json: 4 of the 8 test examples.
    expect(
      readMetricsLog(join(out, 'metrics.jsonl'))
        .filter((x) => x.kind === 'eval')
        .map((x) => x.count),
    ).toEqual([4, 4]);
    expect(existsSync(join(out, 'eval.json'))).toBe(true);
  });
});
