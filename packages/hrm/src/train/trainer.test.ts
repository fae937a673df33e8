import { setBackend } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoSudoku4x4Config } from '../config.js';
import { HRM } from '../model/hrm.js';
import { generateDemoData } from '../data/demo.js';
import { streamSeeds, Trainer } from './trainer.js';
import type { TrainingSettings } from './training-config.js';

const training: TrainingSettings = {
  global_batch_size: 8,
  steps: 6,
  lr: 1e-3,
  lr_min_ratio: 1,
  lr_warmup_steps: 2,
  weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 1e-3,
  puzzle_emb_weight_decay: 0.1,
  seed: 3,
  eval_every: 0,
};
const arch = demoSudoku4x4Config({ hidden_size: 16, num_heads: 2, expansion: 2, puzzle_emb_ndim: 16, halt_max_steps: 3, batch_size: 8 });

beforeAll(async () => {
  await setBackend('cpu');
});

async function run(steps: number) {
  const data = generateDemoData({ trainPuzzles: 20, testPuzzles: 4, augmentations: 1, seed: 1 });
  const model = new HRM(arch, { seed: streamSeeds(training.seed).init });
  const trainer = Trainer.start(model, data.train, training);
  const records = [];
  for (let i = 0; i < steps; i++) records.push(await trainer.next());
  return { records, model, trainer };
}

describe('Trainer', () => {
  it('counts steps, follows the warmup schedule and is reproducible for a seed', async () => {
    const a = await run(4);
    const b = await run(4);
    expect(a.records.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(a.records[0]!.lr).toBeCloseTo(5e-4);
    expect(a.records[2]!.lr).toBeCloseTo(1e-3);
    expect(a.records).toEqual(b.records);
    expect(a.records.every((r) => Number.isFinite(r.loss))).toBe(true);
  });

  it('reads many steps back in one flush, with the records step-by-step reading gives', async () => {
    const a = await run(5);
    const data = generateDemoData({ trainPuzzles: 20, testPuzzles: 4, augmentations: 1, seed: 1 });
    const trainer = Trainer.start(new HRM(arch, { seed: streamSeeds(training.seed).init }), data.train, training);
    for (let i = 0; i < 5; i++) await trainer.advance();
    expect(trainer.pendingSteps).toBe(5);
    expect(() => trainer.snapshot()).toThrow(/5 step\(s\) not flushed/);
    const { records, error } = await trainer.flush();
    expect(error).toBeUndefined();
    expect(records).toEqual(a.records);
    expect(records.every((r) => r.grad_norm! > 0)).toBe(true);
    expect(trainer.pendingSteps).toBe(0);
  });
});
