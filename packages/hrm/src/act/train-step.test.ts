import { AdamATan2, Rng, SignSGD, memory, setBackend, tensor } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HRMConfig } from '../config.js';
import type { ActMetrics } from '../losses.js';
import { randomBatch, tinyConfig } from '../model/fixtures.testing.js';
import { HRM } from '../model/hrm.js';
import { initialCarry, disposeCarry } from './carry.js';
import { trainStep } from './train-step.js';

beforeAll(async () => {
  await setBackend('cpu');
});

async function train(config: HRMConfig, steps: number, seed = 1) {
  const model = new HRM(config, { seed });
  const optimizers = { optimizer: new AdamATan2(model.trainableParameters(), { lr: 0 }), sparse: new SignSGD({ lr: 0 }) };
  const batch = randomBatch(config, 4, seed);
  const rng = new Rng(seed);
  let carry = initialCarry(model, 4);
  const history: ActMetrics[] = [];
  const liveTensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = await trainStep(model, optimizers, carry, batch, { lr: 3e-3, puzzleEmbLr: 1e-2, rng });
    carry = r.carry;
    history.push(r.metrics);
    liveTensors.push(memory().tensors);
  }
  return { model, carry, batch, history, liveTensors };
}

describe('trainStep', () => {
  it('lowers the loss of a tiny model on a fixed batch within 20 steps, without leaking tensors', async () => {
    const { model, carry, history, liveTensors } = await train(tinyConfig({ halt_max_steps: 2 }), 20);
    const lm = history.map((m) => m.lm_loss);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(history.every((m) => Object.values(m).every(Number.isFinite))).toBe(true);
    expect(mean(lm.slice(-4))).toBeLessThan(0.6 * mean(lm.slice(0, 4)));
    expect(new Set(liveTensors.slice(1)).size).toBe(1);
    disposeCarry(carry);
    model.dispose();
  });

  it('is reproducible from its seeds', async () => {
    const runs = [await train(tinyConfig(), 4), await train(tinyConfig(), 4)];
    expect(runs[0]!.history).toEqual(runs[1]!.history);
    for (const r of runs) {
      disposeCarry(r.carry);
      r.model.dispose();
    }
  });

  it('moves only the puzzle-embedding rows of the batch, by lr * sign', async () => {
    const config = tinyConfig({ num_puzzle_identifiers: 6 });
    const { model, carry, batch } = await train(config, 1, 3);
    const table = Float32Array.from(await model.puzzleEmbTable!.data());
    const used = new Set(batch.puzzleIdentifiers);
    for (let id = 0; id < 6; id++) {
      const row = table.subarray(id * 16, (id + 1) * 16);
      if (used.has(id)) expect(row.every((v) => Math.abs(Math.abs(v) - 1e-2) < 1e-9 || v === 0) && row.some((v) => v !== 0), `row ${id}`).toBe(true);
      else
        expect(
          row.every((v) => v === 0),
          `row ${id}`,
        ).toBe(true);
    }
    disposeCarry(carry);
    model.dispose();
  });

  it('asks for the sparse optimiser when the model has a puzzle embedding', async () => {
    const model = new HRM(tinyConfig());
    const carry = initialCarry(model, 2);
    const optimizer = new AdamATan2(model.trainableParameters(), { lr: 0 });
    await expect(trainStep(model, { optimizer }, carry, randomBatch(model.config, 2, 1), { lr: 0, puzzleEmbLr: 0, rng: new Rng(0) })).rejects.toThrow(
      /SignSGD/,
    );
    disposeCarry(carry);
    model.dispose();
  });

  it('reports the gradient norm, and with skipNonFinite leaves weights and optimiser untouched at a NaN step', async () => {
    const model = new HRM(tinyConfig({ halt_max_steps: 2 }), { seed: 2 });
    const params = model.trainableParameters();
    const optimizers = { optimizer: new AdamATan2(params, { lr: 0 }), sparse: new SignSGD({ lr: 0 }) };
    const batch = randomBatch(model.config, 4, 2);
    const opts = { lr: 3e-3, puzzleEmbLr: 1e-2, rng: new Rng(2), skipNonFinite: true };
    let r = await trainStep(model, optimizers, initialCarry(model, 4), batch, opts);
    expect(r.skipped).toBe(false);
    expect(r.metrics.grad_norm).toBeGreaterThan(0);
    expect(Number.isFinite(r.metrics.grad_norm)).toBe(true);
    // One NaN in the lm head's weights: the loss and every gradient become NaN.
    const head = params.find((p) => p.shape[0] === model.config.vocab_size && p.shape[1] === model.config.hidden_size && p !== params[0])!;
    const good = Float32Array.from((await head.data()) as Float32Array);
    const poisoned = Float32Array.from(good);
    poisoned[0] = Number.NaN;
    head.assign(tensor(poisoned, { shape: [...head.shape] }));
    const before = await Promise.all(params.map(async (p) => Float32Array.from((await p.data()) as Float32Array)));
    const moments = await Promise.all(optimizers.optimizer.stateDict().m.map(async (m) => Float32Array.from((await m.data()) as Float32Array)));
    r = await trainStep(model, optimizers, r.carry, batch, opts);
    expect(r.skipped).toBe(true);
    expect(Number.isNaN(r.metrics.grad_norm)).toBe(true);
    expect(optimizers.optimizer.stepCount).toBe(1);
    for (const [i, p] of params.entries()) expect(Float32Array.from((await p.data()) as Float32Array), `parameter ${i}`).toEqual(before[i]);
    for (const [i, m] of optimizers.optimizer.stateDict().m.entries()) expect(Float32Array.from((await m.data()) as Float32Array)).toEqual(moments[i]);
    head.assign(tensor(good, { shape: [...head.shape] }));
    r = await trainStep(model, optimizers, r.carry, batch, opts);
    expect(r.skipped).toBe(false);
    expect(optimizers.optimizer.stepCount).toBe(2);
    disposeCarry(r.carry);
    model.dispose();
  });
});
