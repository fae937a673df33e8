import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend, type SafetensorsTensor } from '@hrm-webgpu/tensor';
import { readSafetensorsFile, writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PuzzleBatch } from '../data/types.js';
import { randomBatch, randomizeZeroInits, tinyConfig } from '../model/fixtures.testing.js';
import { HRM } from '../model/hrm.js';
import { writeModelCheckpoint } from '../train/checkpoint-files.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'hrm-trace-'));
const config = tinyConfig({ halt_max_steps: 3, halt_exploration_prob: 0.3 });
const checkpoint = join(dir, 'model.safetensors');
const batches = [1, 2, 3].map((seed) => randomBatch(config, 4, seed));
// Puzzle ids 2 and 0 only, 2 repeated: row 1 of the table is never touched.
batches[0]!.puzzleIdentifiers.set([2, 0, 2, 2]);
const stacked = join(dir, 'stacked.safetensors');
const single = join(dir, 'single.safetensors');
const P = 'model.inner.';

async function writeBatches(file: string, list: PuzzleBatch[]): Promise<void> {
  const t = list.length;
  const lead = t === 1 ? [] : [t];
  const cat = (pick: (b: PuzzleBatch) => Int32Array) => Int32Array.from(list.flatMap((b) => [...pick(b)]));
  await writeSafetensorsFile(file, {
    inputs: { dtype: 'i32', shape: [...lead, 4, config.seq_len], data: cat((b) => b.inputs) },
    labels: { dtype: 'i32', shape: [...lead, 4, config.seq_len], data: cat((b) => b.labels) },
    puzzle_identifiers: { dtype: 'i32', shape: [...lead, 4], data: cat((b) => b.puzzleIdentifiers) },
  });
}

function configWith(training: Record<string, number>): string {
  const file = join(dir, `config-${Object.values(training).join('-')}.json`);
  writeFileSync(file, JSON.stringify({ ...config, ...training }));
  return file;
}

/** Runs `hrm trace` in-process (f64 on the CPU backend) and returns the written tensors. */
async function trace(...args: string[]): Promise<Map<string, SafetensorsTensor>> {
  const out = join(dir, `trace-${args.join('_').replace(/\W+/g, '_')}.safetensors`);
  const code = await main(['trace', checkpoint, '--out', out, '--dtype', 'f64', '--backend', 'cpu', ...args]);
  expect(code).toBe(0);
  return readSafetensorsFile(out);
}

const values = (file: Map<string, SafetensorsTensor>, key: string) => {
  const t = file.get(key);
  if (!t) throw new Error(`no tensor ${key}`);
  return [...t.data];
};

beforeAll(async () => {
  await setBackend('cpu');
  const model = new HRM(config, { seed: 3 });
  randomizeZeroInits(model, 4);
  await writeModelCheckpoint(checkpoint, model, config);
  model.dispose();
  await writeBatches(stacked, batches);
  await writeBatches(single, batches.slice(0, 1));
});

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hrm trace --warmup and --train-steps', () => {
  it('warms up the carry exactly as training steps at learning rate 0 move it (same exploration draws)', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const warm = await trace('--batch', stacked, '--train', '--warmup', '2', '--seed', '5');
    const still = configWith({ lr: 0, puzzle_emb_lr: 0 });
    const steps = await trace('--batch', stacked, '--config', still, '--train-steps', '3', '--seed', '5');
    for (const f of ['steps', 'halted']) {
      expect(values(warm, `carry_in.${f}`)).toEqual(values(steps, `train_steps.1.carry.${f}`));
      expect(values(warm, `carry_out.${f}`)).toEqual(values(steps, `train_steps.2.carry.${f}`));
    }
    // This seed gives a traced segment with slots reset and slots running on, one of them to halt_max_steps.
    expect(values(warm, 'carry_in.halted')).toEqual([0, 0, 1, 1]);
    expect(values(warm, 'carry_in.steps')).toEqual([1, 2, 1, 1]);
    expect(values(warm, 'carry_out.halted')).toEqual([0, 1, 0, 1]);
    expect(values(warm, 'carry_out.steps')).toEqual([2, 3, 1, 1]);
    expect(values(warm, 'loss')[0]).toBeCloseTo(values(steps, 'train_steps.2.loss')[0]!, 10);
    expect(values(warm, 'target_q_continue')).toHaveLength(4);
  });

  it('takes the scheduled learning rates, the AdamATan2 step and sparse SignSGD on the batch rows only', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const hyper = { lr: 0.01, puzzle_emb_lr: 0.1, weight_decay: 0.5, puzzle_emb_weight_decay: 0.3, lr_warmup_steps: 2, steps: 4, lr_min_ratio: 0.2 };
    const steps = await trace('--batch', single, '--config', configWith(hyper), '--train-steps', '3');
    // Warmup 1/2 of the base rate, then the cosine from the base rate: progress 0, then 1/2.
    expect([0, 1, 2].map((k) => values(steps, `train_steps.${k}.lr`)[0])).toEqual([0.005, 0.01, 0.01 * (0.2 + 0.8 * 0.5)]);
    expect([0, 1, 2].map((k) => values(steps, `train_steps.${k}.puzzle_emb_lr`)[0])).toEqual([0.05, 0.1, 0.1 * (0.2 + 0.8 * 0.5)]);

    const grads = await trace('--batch', single, '--train');
    const start = await readSafetensorsFile(checkpoint);
    // AdamATan2, step 1: m = 0.1 g, sqrt(v) / sqrt(1 - b2) = |g|, p <- p (1 - lr wd) - lr / 0.1 * atan2(0.1 g, |g|).
    const g = values(grads, `${P}lm_head.weight`);
    const p0 = values(start, `${P}lm_head.weight`);
    const expected = p0.map((p, i) => p * (1 - 0.005 * 0.5) - (0.005 / 0.1) * Math.atan2(0.1 * g[i]!, Math.abs(g[i]!)));
    values(steps, `train_steps.0.${P}lm_head.weight`).forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 12));

    // SignSGD: rows of the batch's ids (duplicate rows' gradients summed) decay and step; the others stay.
    const dim = config.puzzle_emb_ndim;
    const table0 = values(start, `${P}puzzle_emb.weights`);
    const rowGrads = values(grads, `${P}puzzle_emb.local_weights`);
    const ids = [...batches[0]!.puzzleIdentifiers];
    const table1 = values(steps, `train_steps.0.${P}puzzle_emb.weights`);
    for (let id = 0; id < config.num_puzzle_identifiers; id++) {
      for (let j = 0; j < dim; j++) {
        const sum = ids.reduce((s, rowId, r) => s + (rowId === id ? rowGrads[r * dim + j]! : 0), 0);
        const want = ids.includes(id) ? table0[id * dim + j]! * (1 - 0.05 * 0.3) - 0.05 * Math.sign(sum) : table0[id * dim + j]!;
        expect(table1[id * dim + j]).toBeCloseTo(want, 12);
      }
    }
  });

  it('rejects a stack of the wrong length and --warmup without a training trace', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = join(dir, 'x.safetensors');
    expect(await main(['trace', checkpoint, '--batch', stacked, '--train', '--warmup', '1', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(err.mock.calls.flat().join(' ')).toContain('stacks 3 batches; this trace runs 2 segments');
    expect(await main(['trace', checkpoint, '--batch', single, '--warmup', '1', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(err.mock.calls.flat().join(' ')).toContain('--warmup needs --train or --train-steps');
    expect(await main(['trace', checkpoint, '--batch', single, '--train', '--train-steps', '2', '--out', out, '--backend', 'cpu'])).toBe(2);
    expect(err.mock.calls.flat().join(' ')).toContain('--train cannot be combined with --train-steps');
  });

  it('refuses an empty batch and tokens outside the vocabulary, naming the file and tensor', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = join(dir, 'y.safetensors');
    const empty = join(dir, 'empty.safetensors');
    await writeSafetensorsFile(empty, {
      inputs: { dtype: 'i32', shape: [0, config.seq_len], data: new Int32Array(0) },
      labels: { dtype: 'i32', shape: [0, config.seq_len], data: new Int32Array(0) },
      puzzle_identifiers: { dtype: 'i32', shape: [0], data: new Int32Array(0) },
    });
    expect(await main(['trace', checkpoint, '--batch', empty, '--out', out, '--backend', 'cpu'])).toBe(1);
    expect(err.mock.calls.flat().join(' ')).toContain(`${empty}: the batch has no rows (inputs [0, ${config.seq_len}])`);
    const wild = join(dir, 'wild.safetensors');
    const batch = randomBatch(config, 4, 9);
    batch.inputs[5] = config.vocab_size;
    await writeBatches(wild, [batch]);
    expect(await main(['trace', checkpoint, '--batch', wild, '--out', out, '--backend', 'cpu'])).toBe(1);
    expect(err.mock.calls.flat().join(' ')).toContain(`${wild}: tensor 'inputs' holds ${config.vocab_size} at index 5, outside [0, ${config.vocab_size})`);
  });
});
