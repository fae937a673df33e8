import { setBackend, tensor, tidy, zeros } from '@hrm-webgpu/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ACTCarry } from './act/carry.js';
import type { LossType } from './config.js';
import { addMetrics, actLoss, readMetrics, reduceMetrics } from './losses.js';

beforeAll(async () => {
  await setBackend('cpu');
});

// 4 slots, 3 tokens, vocab 4.
const logits = [
  [
    [0.1, 2.0, -1.0, 0.3],
    [0.0, -0.5, 1.5, 0.2],
    [3.0, 0.0, 0.0, 0.0],
  ], // labels 1, 2, ignored: all correct
  [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, -2.0],
    [-1.0, 0.5, 0.0, 0.0],
  ], // labels 0, 3, 1: token 2 wrong (argmax 0)
  [
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
  ], // all ignored
  [
    [0.0, 0.0, 4.0, 0.0],
    [0.0, 0.0, 2.5, -3.0],
    [0.0, 1.0, 0.5, 0.0],
  ], // labels 2, 2, 2: 2 of 3 correct
];
const labels = [
  [1, 2, -100],
  [0, 3, 1],
  [-100, -100, -100],
  [2, 2, 2],
];
const qHalt = [0.5, -1.0, 2.0, 0.0];
const qContinue = [0.2, -0.3, 0.1, 1.0];
const target = [0.9, 0.1, 0.5, 0.3];
const halted = [true, false, true, true];
const steps = [3, 1, 2, 5];

const stablemax = (x: number) => (x >= 0 ? x + 1 : 1 / (1 - x + 1e-30));
function tokenCE(kind: LossType, row: number[], label: number): number {
  if (kind === 'stablemax_cross_entropy') return -Math.log(stablemax(row[label]!) / row.reduce((s, x) => s + stablemax(x), 0));
  return Math.log(row.reduce((s, x) => s + Math.exp(x), 0)) - row[label]!;
}
const bce = (x: number, t: number) => Math.max(x, 0) - x * t + Math.log(1 + Math.exp(-Math.abs(x)));

function expectedLosses(kind: LossType) {
  const seqCorrect = [true, false, true, false]; // slot 2 has no labels: 0 correct of 0 counts as correct
  let lm = 0;
  labels.forEach((row, b) => {
    const count = row.filter((l) => l !== -100).length;
    row.forEach((l, t) => {
      if (l !== -100) lm += tokenCE(kind, logits[b]![t]!, l) / Math.max(count, 1);
    });
  });
  const qh = qHalt.reduce((s, x, b) => s + bce(x, seqCorrect[b] ? 1 : 0), 0);
  const qc = qContinue.reduce((s, x, b) => s + bce(x, target[b]!), 0);
  return { lm, qh, qc, total: lm + 0.5 * (qh + qc) };
}

function handCarry(): ACTCarry {
  return {
    batchSize: 4,
    zH: zeros([4, 1, 1]),
    zL: zeros([4, 1, 1]),
    steps: tensor(steps, { dtype: 'i32' }),
    halted: tensor(Uint8Array.from(halted, Number), { dtype: 'bool' }),
    inputs: zeros([4, 3], { dtype: 'i32' }),
    labels: tensor(labels, { dtype: 'i32' }),
    puzzleIdentifiers: zeros([4], { dtype: 'i32' }),
  };
}

describe('actLoss', () => {
  for (const kind of ['stablemax_cross_entropy', 'softmax_cross_entropy'] as const) {
    it(`sums ${kind} per-sequence token means over every slot, plus half the Q losses`, async () => {
      const { loss, metrics } = tidy(() => {
        const outputs = {
          logits: tensor(logits, { dtype: 'f64' }),
          qHaltLogits: tensor(qHalt, { dtype: 'f64' }),
          qContinueLogits: tensor(qContinue, { dtype: 'f64' }),
          targetQContinue: tensor(target, { dtype: 'f64' }),
        };
        return actLoss(outputs, handCarry(), kind);
      });
      const e = expectedLosses(kind);
      expect(await loss.item()).toBeCloseTo(e.total, 10);
      const m = await readMetrics(metrics);
      loss.dispose();
      metrics.dispose();
      expect(m.lm_loss).toBeCloseTo(e.lm, 10);
      expect(m.q_halt_loss).toBeCloseTo(e.qh, 10);
      expect(m.q_continue_loss).toBeCloseTo(e.qc, 10);
      // Valid slots: halted with labels = slots 0 and 3.
      expect(m.count).toBe(2);
      expect(m.accuracy).toBeCloseTo(1 + 2 / 3, 12);
      expect(m.exact_accuracy).toBe(1);
      // slot 0: q_halt 0.5 >= 0 and correct; slot 3: q_halt 0 >= 0 but wrong.
      expect(m.q_halt_accuracy).toBe(1);
      expect(m.steps).toBe(3 + 5);
    });
  }

  it('has no q_continue term or metric without a target (evaluation)', async () => {
    const { loss, metrics } = tidy(() =>
      actLoss(
        { logits: tensor(logits, { dtype: 'f64' }), qHaltLogits: tensor(qHalt, { dtype: 'f64' }), qContinueLogits: tensor(qContinue, { dtype: 'f64' }) },
        handCarry(),
        'softmax_cross_entropy',
      ),
    );
    const e = expectedLosses('softmax_cross_entropy');
    expect(await loss.item()).toBeCloseTo(e.lm + 0.5 * e.qh, 10);
    const m = await readMetrics(metrics);
    loss.dispose();
    metrics.dispose();
    expect(m.q_continue_loss).toBeUndefined();
    expect(Object.keys(m)).toHaveLength(7);
  });
});

describe('metric reduction', () => {
  const m = { count: 4, accuracy: 3, exact_accuracy: 2, q_halt_accuracy: 1, steps: 8, lm_loss: 10, q_halt_loss: 6, q_continue_loss: 2 };

  it('divides losses by the global batch and the rest by the count in training', () => {
    expect(reduceMetrics(m, 'train', 8)).toEqual({
      count: 4,
      accuracy: 0.75,
      exact_accuracy: 0.5,
      q_halt_accuracy: 0.25,
      steps: 2,
      lm_loss: 1.25,
      q_halt_loss: 0.75,
      q_continue_loss: 0.25,
    });
  });

  it('divides everything by the count in evaluation, and adds sums across batches', () => {
    const sum = addMetrics(m, { ...m, q_continue_loss: undefined });
    expect(sum.count).toBe(8);
    expect(sum.q_continue_loss).toBe(2);
    expect(reduceMetrics(sum, 'eval', 8).lm_loss).toBe(2.5);
  });
});
