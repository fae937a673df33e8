/**
 * End-to-end tests of the `hrm` CLI on the CPU backend: training with checkpoints, exact resume,
 * inspect, eval, solve and trace, and the error messages for bad flags, files and checkpoints.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsFile, writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { hrm } from './hrm-cli.js';
import { generateDemoData } from '../packages/hrm/src/data/demo.js';
import { writeDataset } from '../packages/hrm/src/data/node/datasetFiles.js';
import { readMetricsLog } from '../packages/hrm/src/train/metrics-log.js';

const root = mkdtempSync(join(tmpdir(), 'hrm-cli-'));
const data = join(root, 'sudoku4');
const tiny = [
  '--preset',
  'sudoku4x4',
  '--hidden_size',
  '16',
  '--num_heads',
  '2',
  '--puzzle_emb_ndim',
  '16',
  '--halt_max_steps',
  '3',
  '--global_batch_size',
  '8',
  '--lr',
  '0.003',
  '--lr_warmup_steps',
  '2',
  '--backend',
  'cpu',
  '--no-progress',
];

const withoutTime = (file: string) => readMetricsLog(file).map(({ time: _time, ...rest }) => rest);

beforeAll(() => {
  const { train, test } = generateDemoData({ trainPuzzles: 40, testPuzzles: 8, augmentations: 0, seed: 5 });
  writeDataset(data, { train, test });
});

afterEach(() => vi.restoreAllMocks());

describe('hrm CLI', () => {
  it('prints usage and names unknown commands and flags', async () => {
    const help = await hrm('--help');
    expect(help.code).toBe(0);
    for (const c of ['train', 'eval', 'solve', 'demo', 'inspect', 'trace', 'data']) expect(help.out).toContain(c);
    expect((await hrm('train', '--help')).out).toContain('--resume');
    const unknown = await hrm('fly');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'fly'");
    const badFlag = await hrm('train', '--data', data, '--out', join(root, 'x'), '--hiden-size', '3');
    expect(badFlag.code).toBe(2);
    expect(badFlag.err).toContain('--hiden-size');
    const badValue = await hrm('train', '--data', data, '--out', join(root, 'x'), ...tiny, '--steps', 'many');
    expect(badValue.code).toBe(2);
    expect(badValue.err).toContain("--steps expects a number, got 'many'");
    const missing = await hrm('train', '--data', join(root, 'nowhere'), '--out', join(root, 'x'), ...tiny, '--steps', '2');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(join(root, 'nowhere'));
  });

  it('trains with checkpoints and resumes exactly where an uninterrupted run would be', async () => {
    const straight = join(root, 'straight');
    const split = join(root, 'split');
    const steps = ['--steps', '6', '--eval-every', '3', '--seed', '11'];
    expect((await hrm('train', '--data', data, '--out', straight, ...tiny, ...steps)).code).toBe(0);
    for (const f of ['run.json', 'metrics.jsonl', 'eval.json', 'learning-curve.svg', 'step_3.safetensors', 'step_3.train.safetensors', 'step_6.safetensors']) {
      expect(existsSync(join(straight, f)), f).toBe(true);
    }
    expect(readFileSync(join(straight, 'learning-curve.svg'), 'utf8')).toContain('<svg');

    expect((await hrm('train', '--data', data, '--out', split, ...tiny, ...steps, '--stop-at', '3')).code).toBe(0);
    expect(existsSync(join(split, 'step_6.safetensors'))).toBe(false);
    const again = await hrm('train', '--data', data, '--out', split, ...tiny, ...steps);
    expect(again.code).toBe(1);
    expect(again.err).toContain('--resume');
    const resumed = await hrm('train', '--out', split, '--resume', '--backend', 'cpu', '--no-progress');
    expect(resumed.code, resumed.err).toBe(0);

    expect(readFileSync(join(split, 'step_6.safetensors'))).toEqual(readFileSync(join(straight, 'step_6.safetensors')));
    // Training state too (its metadata differs only in the wall-clock time spent).
    const [a, b] = await Promise.all([straight, split].map((d) => readSafetensorsFile(join(d, 'step_6.train.safetensors'))));
    expect([...a!.entries()]).toEqual([...b!.entries()]);
    expect(withoutTime(join(split, 'metrics.jsonl'))).toEqual(withoutTime(join(straight, 'metrics.jsonl')));
    const records = withoutTime(join(straight, 'metrics.jsonl'));
    expect(records.filter((r) => r.kind === 'train').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records.filter((r) => r.kind === 'eval').map((r) => r.step)).toEqual([3, 6]);
    for (const key of ['lr', 'loss', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps']) expect(records[0]).toHaveProperty(key);
  });

  it('inspects, evaluates, solves and traces a checkpoint', async () => {
    const out = join(root, 'straight');
    const ckpt = join(out, 'step_6.safetensors');
    const inspect = await hrm('inspect', ckpt);
    expect(inspect.code).toBe(0);
    expect(inspect.out).toContain('model.inner.lm_head.weight');
    expect(inspect.out).toMatch(/trainable parameters: [\d,]+/);
    const json = JSON.parse((await hrm('inspect', ckpt, '--json')).out);
    expect(json.config.hidden_size).toBe(16);
    expect(json.prefix).toBe('model.inner.');

    const report = join(root, 'eval.json');
    const evaluated = await hrm('eval', ckpt, '--data', data, '--report', report, '--backend', 'cpu');
    expect(evaluated.code, evaluated.err).toBe(0);
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.metrics.count).toBe(8);
    expect(r.sudoku.buckets.length).toBeGreaterThan(0);
    expect(r.learned_halting_segments).toBeGreaterThanOrEqual(1);

    // Inference-time scaling: one pass, the point at halt_max_steps is the plain evaluation.
    const haltMax: number = json.config.halt_max_steps;
    const scaledReport = join(root, 'eval-scaled.json');
    const scaled = await hrm('eval', ckpt, '--data', data, '--report', scaledReport, '--segments', `${haltMax + 2},1,${haltMax}`, '--backend', 'cpu');
    expect(scaled.code, scaled.err).toBe(0);
    const s = JSON.parse(readFileSync(scaledReport, 'utf8'));
    expect(s.segments.segments).toEqual([1, haltMax, haltMax + 2]);
    expect(s.segments.exact_accuracy[1]).toBe(r.metrics.exact_accuracy);
    expect(s.segments.accuracy[1]).toBe(r.metrics.accuracy);
    expect(s.segments.buckets.length).toBe(r.sudoku.buckets.length);
    expect(readFileSync(join(root, 'eval-scaled.segments.svg'), 'utf8')).toContain('learned halting');
    const badSegments = await hrm('eval', ckpt, '--data', data, '--segments', '2,0', '--backend', 'cpu');
    expect(badSegments.code).not.toBe(0);
    expect(badSegments.err).toContain('--segments expects positive integers');

    const solved = await hrm('solve', ckpt, '--puzzle', '1...|..2.|.3..|...4'.replace(/\|/g, ''), '--backend', 'cpu');
    expect(solved.code, solved.err).toBe(0);
    expect(solved.out).toContain('segment 3: q=');
    expect(solved.out).toMatch(/answer: /);

    const batch = join(root, 'batch.safetensors');
    const inputs = Int32Array.from({ length: 32 }, (_, i) => 1 + (i % 5));
    await writeSafetensorsFile(batch, {
      inputs: { dtype: 'i32', shape: [2, 16], data: inputs },
      labels: { dtype: 'i32', shape: [2, 16], data: inputs.map((t) => (t === 1 ? 2 : t)) },
      puzzle_identifiers: { dtype: 'i32', shape: [2], data: new Int32Array(2) },
    });
    const segOut = join(root, 'trace.safetensors');
    expect((await hrm('trace', ckpt, '--batch', batch, '--segments', '2', '--out', segOut, '--backend', 'cpu')).code).toBe(0);
    const seg = await readSafetensorsFile(segOut);
    expect(seg.get('segments.1.logits')!.shape).toEqual([2, 16, 6]);
    expect(seg.get('segments.0.q_halt_logits')!.shape).toEqual([2]);
    const gradOut = join(root, 'grads.safetensors');
    expect((await hrm('trace', ckpt, '--batch', batch, '--train', '--out', gradOut, '--backend', 'cpu')).code).toBe(0);
    const grads = await readSafetensorsFile(gradOut);
    expect(grads.has('loss')).toBe(true);
    expect(grads.get('model.inner.L_level.layers.0.self_attn.qkv_proj.weight')!.shape).toEqual([48, 16]);
  });

  it('names missing files and mismatching checkpoints', async () => {
    const gone = await hrm('inspect', join(root, 'none.safetensors'));
    expect(gone.code).toBe(1);
    expect(gone.err).toContain(join(root, 'none.safetensors'));
    const cfg = join(root, 'other.json');
    writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(join(root, 'straight', 'run.json'), 'utf8')).arch, hidden_size: 32, puzzle_emb_ndim: 32 }));
    const batch = join(root, 'batch.safetensors');
    const mismatch = await hrm(
      'trace',
      join(root, 'straight', 'step_6.safetensors'),
      '--config',
      cfg,
      '--batch',
      batch,
      '--out',
      join(root, 't.safetensors'),
      '--backend',
      'cpu',
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.err).toMatch(/embed_tokens\.embedding_weight.*shape expected \[6, 32\], found \[6, 16\]/);
  });
});
