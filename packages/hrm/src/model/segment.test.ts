import { type Tensor, Rng, add, backward, gather, memory, mul, noGrad, setBackend, sum, tensor, tidy } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HRMConfig, modelSeqLen } from '../config.js';
import { initialCarry, disposeCarry } from '../act/carry.js';
import { actStep } from '../act/step.js';
import { actLoss } from '../losses.js';
import { maxAbsDiff, randomBatch, randomizeZeroInits, tinyConfig } from './fixtures.testing.js';
import { HRM } from './hrm.js';
import { runSegment, type SegmentOutputs } from './segment.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const B = 2;

/** Fixed random inputs of one segment: states, tokens, puzzle ids and loss weights. */
function segmentCase(config: HRMConfig, seed: number) {
  const rng = new Rng(seed);
  const S = modelSeqLen(config);
  const normal = (n: number) => Float64Array.from({ length: n }, () => rng.normal());
  const batch = randomBatch(config, B, seed);
  return {
    zH: normal(B * S * config.hidden_size),
    zL: normal(B * S * config.hidden_size),
    inputs: batch.inputs,
    ids: batch.puzzleIdentifiers,
    wLogits: normal(B * config.seq_len * config.vocab_size),
    wQ: normal(2 * B),
  };
}

type Case = ReturnType<typeof segmentCase>;

function caseTensors(model: HRM, c: Case) {
  const cfg = model.config;
  const state = [B, modelSeqLen(cfg), cfg.hidden_size];
  return {
    zH: tensor(c.zH, { shape: state, dtype: model.dtype }),
    zL: tensor(c.zL, { shape: state, dtype: model.dtype }),
    inputs: tensor(c.inputs, { shape: [B, cfg.seq_len], dtype: 'i32' }),
    rows: gather(model.puzzleEmbTable!, tensor(c.ids, { dtype: 'i32' }), 0),
  };
}

/** A scalar touching every output: sum(logits * W) + sum(q_halt * w1) + sum(q_continue * w2). */
function probeLoss(model: HRM, out: Pick<SegmentOutputs, 'logits' | 'qHaltLogits' | 'qContinueLogits'>, c: Case): Tensor {
  const cfg = model.config;
  const w = tensor(c.wLogits, { shape: [B, cfg.seq_len, cfg.vocab_size], dtype: model.dtype });
  const [w1, w2] = [0, 1].map((i) => tensor(c.wQ.subarray(i * B, (i + 1) * B), { dtype: model.dtype }));
  return add(sum(mul(out.logits, w)), add(sum(mul(out.qHaltLogits, w1!)), sum(mul(out.qContinueLogits, w2!))));
}

/** Gradients (parameters and puzzle rows) of the probe loss through `forward`. */
async function gradients(model: HRM, c: Case, forward: (t: ReturnType<typeof caseTensors>) => SegmentOutputs): Promise<Map<string, Float64Array>> {
  const rowGrad = tidy(() => {
    const t = caseTensors(model, c);
    t.rows.requiresGrad = true;
    backward(probeLoss(model, forward(t), c));
    return t.rows.grad!.detach();
  });
  const out = new Map<string, Float64Array>([['puzzle rows', Float64Array.from(await rowGrad.data())]]);
  rowGrad.dispose();
  for (const [k, p] of model.parameters) {
    out.set(k, Float64Array.from(await p.grad!.data()));
    p.grad!.dispose();
    p.grad = null;
  }
  return out;
}

function tinyModel(overrides: Partial<HRMConfig> = {}) {
  const config = tinyConfig({ hidden_size: 8, num_heads: 2, seq_len: 4, vocab_size: 4, ...overrides });
  const model = new HRM(config, { seed: 5, dtype: 'f64' });
  randomizeZeroInits(model, 9);
  return model;
}

describe('the 1-step gradient', () => {
  it('equals the gradient of a graph built from only the last L and H steps on the same states', async () => {
    const model = tinyModel({ H_cycles: 3, L_cycles: 2 });
    const c = segmentCase(model.config, 1);
    const oneStep = await gradients(model, c, (t) => runSegment(model, t.zH, t.zL, model.embed(t.inputs, t.rows), 'one-step'));
    const lastStepsOnly = await gradients(model, c, (t) => {
      // Precompute the states every step but the last L and H reaches, without any graph.
      let { zH, zL } = t;
      noGrad(() => {
        const x = model.embed(t.inputs, t.rows);
        for (let h = 0; h < 3; h++) {
          for (let l = 0; l < 2; l++) if (h < 2 || l < 1) zL = model.stepL(zL, add(zH, x));
          if (h < 2) zH = model.stepH(zH, zL);
        }
      });
      const x = model.embed(t.inputs, t.rows);
      const newZL = model.stepL(zL, add(zH, x));
      const newZH = model.stepH(zH, newZL);
      return { zH: newZH, zL: newZL, ...model.heads(newZH) };
    });
    const bptt = await gradients(model, c, (t) => runSegment(model, t.zH, t.zL, model.embed(t.inputs, t.rows), 'bptt'));
    expect([...oneStep.keys()]).toEqual([...lastStepsOnly.keys()]);
    for (const [k, g] of oneStep) {
      expect(maxAbsDiff(g, lastStepsOnly.get(k)!), k).toBeLessThan(1e-12);
      expect(
        g.some((v) => v !== 0),
        k,
      ).toBe(true);
    }
    // ...and is a different quantity from the full gradient.
    expect(maxAbsDiff(oneStep.get('L_level.layers.0.mlp.down_proj.weight')!, bptt.get('L_level.layers.0.mlp.down_proj.weight')!)).toBeGreaterThan(1e-6);
    model.dispose();
  });

  it('sends no gradient into the incoming states (the previous segment), unlike bptt', () => {
    const model = tinyModel();
    const c = segmentCase(model.config, 2);
    for (const mode of ['one-step', 'bptt'] as const) {
      const reached = tidy(() => {
        const t = caseTensors(model, c);
        t.zH.requiresGrad = true;
        t.zL.requiresGrad = true;
        backward(probeLoss(model, runSegment(model, t.zH, t.zL, model.embed(t.inputs, t.rows), mode), c));
        return [t.zH.grad !== null, t.zL.grad !== null];
      });
      expect(reached, mode).toEqual(mode === 'one-step' ? [false, false] : [true, true]);
    }
    for (const p of model.parameters.values()) {
      p.grad?.dispose();
      p.grad = null;
    }
    model.dispose();
  });

  it('leaves a detached carry: the next segment sees constants', () => {
    const model = tinyModel();
    const batch = randomBatch(model.config, B, 3);
    const carry = initialCarry(model, B);
    const flags = tidy(() => {
      const { carry: next, outputs } = actStep(model, carry, batch, { training: true, rng: new Rng(1) });
      const flags = [next.zH, next.zL].map((t) => t.requiresGrad);
      const second = actStep(model, next, batch, { training: true, rng: new Rng(2) });
      flags.push(outputs.logits.requiresGrad, second.outputs.logits.requiresGrad);
      disposeCarry(next);
      disposeCarry(second.carry);
      return flags;
    });
    expect(flags).toEqual([false, false, true, true]);
    disposeCarry(carry);
    model.dispose();
  });
});

/** Bytes alive after a training step's forward pass and loss, just before backward. */
function bytesBeforeBackward(config: HRMConfig): number {
  const model = new HRM(config, { seed: 1 });
  const batch = randomBatch(config, B, 4);
  const carry = initialCarry(model, B);
  const base = memory().bytes;
  const held = tidy(() => {
    const { carry: next, outputs } = actStep(model, carry, batch, { training: true, rng: new Rng(3) });
    const { loss } = actLoss(outputs, next, config.loss_type);
    const held = memory().bytes - base;
    backward(loss);
    disposeCarry(next);
    return held;
  });
  disposeCarry(carry);
  model.dispose();
  return held;
}

describe('memory of a training step', () => {
  const cycles = [1, 2, 4].map((n) => ({ H_cycles: n, L_cycles: n }));

  it('does not grow with H_cycles x L_cycles under the 1-step gradient', () => {
    const [m1, m2, m4] = cycles.map((c) => bytesBeforeBackward(tinyConfig(c)));
    if (process.env.HRM_PRINT_MEMORY) console.log('one-step bytes held before backward at 1x1, 2x2, 4x4:', m1, m2, m4);
    const stateBytes = B * modelSeqLen(tinyConfig()) * 16 * 4;
    expect(m4).toBe(m2);
    // 2x2 keeps one intermediate z_H and z_L that 1x1 does not have, nothing more.
    expect(m2! - m1!).toBeLessThanOrEqual(2 * stateBytes);
  });

  it('grows with the cycles under bptt', () => {
    const [m1, m2, m4] = cycles.map((c) => bytesBeforeBackward(tinyConfig({ ...c, gradient: 'bptt' })));
    if (process.env.HRM_PRINT_MEMORY) console.log('bptt bytes held before backward at 1x1, 2x2, 4x4:', m1, m2, m4);
    expect(m2).toBeGreaterThan(m1! * 1.5);
    expect(m4).toBeGreaterThan(m2! * 2);
  });
});

describe('bptt', () => {
  it('matches central finite differences on a tiny configuration', async () => {
    const model = tinyModel({ gradient: 'bptt' });
    const c = segmentCase(model.config, 6);
    const forward = (t: ReturnType<typeof caseTensors>) => runSegment(model, t.zH, t.zL, model.embed(t.inputs, t.rows), 'bptt');
    const analytic = await gradients(model, c, forward);
    const lossValue = () => tidy(() => noGrad(() => probeLoss(model, forward(caseTensors(model, c)), c))).item();
    const rng = new Rng(4);
    const eps = 1e-6;
    for (const [key, p] of model.parameters) {
      const values = Float64Array.from(await p.data());
      for (let k = 0; k < 3; k++) {
        const i = rng.int(0, values.length - 1);
        const at = async (v: number) => {
          const copy = values.slice();
          copy[i] = v;
          tidy(() => noGrad(() => p.assign(tensor(copy, { shape: p.shape, dtype: 'f64' }))));
          return lossValue();
        };
        const numeric = ((await at(values[i]! + eps)) - (await at(values[i]! - eps))) / (2 * eps);
        await at(values[i]!);
        const g = analytic.get(key)![i]!;
        expect(Math.abs(numeric - g), `${key}[${i}]: numeric ${numeric} vs analytic ${g}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(g)));
      }
    }
    model.dispose();
  });
});
