import { Rng, type Tensor, gather, noGrad, setBackend, sigmoid, tensor, tidy } from '@hrm-webgpu/tensor';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HRMConfig } from '../config.js';
import type { PuzzleBatch } from '../data/types.js';
import { maxAbsDiff, randomBatch, randomize, randomizeZeroInits, tinyConfig } from '../model/fixtures.testing.js';
import { HRM } from '../model/hrm.js';
import { runSegment } from '../model/segment.js';
import { type ACTCarry, disposeCarry, initialCarry, readCarryState } from './carry.js';
import { type ActStepOptions, actStep, drawMinHaltSteps } from './step.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const live: { dispose(): void }[] = [];
afterEach(() => {
  for (const x of live.splice(0)) x.dispose();
});

function makeModel(overrides: Partial<HRMConfig>): HRM {
  const model = new HRM(tinyConfig(overrides), { seed: 2, dtype: 'f64' });
  live.push(model);
  return model;
}

/** Sets the Q head to weight 0 and the given bias: every slot gets q_halt = halt, q_continue = cont. */
function fixQ(model: HRM, halt: number, cont: number): void {
  tidy(() =>
    noGrad(() => {
      model
        .param('q_head.weight')
        .assign(tensor(new Float64Array(model.param('q_head.weight').size), { shape: model.param('q_head.weight').shape, dtype: 'f64' }));
      model.param('q_head.bias').assign(tensor([halt, cont], { dtype: 'f64' }));
    }),
  );
}

interface StepRead {
  carry: ACTCarry;
  steps: number[];
  halted: boolean[];
  inputs: Int32Array;
  labels: Int32Array;
  ids: Int32Array;
  logits: Float64Array;
  qHalt: Float64Array;
  qContinue: Float64Array;
  target: Float64Array | null;
}

/** One actStep (no grad), consuming `carry`, with everything read back. */
async function step(model: HRM, carry: ACTCarry, batch: PuzzleBatch, opts: ActStepOptions): Promise<StepRead> {
  const r = tidy(() => noGrad(() => actStep(model, carry, batch, opts)));
  disposeCarry(carry);
  const read = async (t: Tensor | undefined) => (t ? Float64Array.from(await t.data()) : null);
  const { steps, halted } = await readCarryState(r.carry);
  const out: StepRead = {
    carry: r.carry,
    steps: [...steps],
    halted,
    inputs: (await r.carry.inputs.data()) as Int32Array,
    labels: (await r.carry.labels.data()) as Int32Array,
    ids: (await r.carry.puzzleIdentifiers.data()) as Int32Array,
    logits: (await read(r.outputs.logits))!,
    qHalt: (await read(r.outputs.qHaltLogits))!,
    qContinue: (await read(r.outputs.qContinueLogits))!,
    target: await read(r.outputs.targetQContinue),
  };
  for (const t of [r.outputs.logits, r.outputs.qHaltLogits, r.outputs.qContinueLogits, r.outputs.targetQContinue, r.outputs.puzzleEmbRows]) t?.dispose();
  return out;
}

function setHalted(carry: ACTCarry, halted: boolean[]): void {
  carry.halted.dispose();
  carry.halted = tensor(Uint8Array.from(halted, Number), { dtype: 'bool' }).keep();
}

const rows = (a: Int32Array | Float64Array, width: number) =>
  Array.from({ length: a.length / width }, (_, i) => Array.from(a.subarray(i * width, (i + 1) * width)));

describe('actStep: reset and data swap', () => {
  it('resets only halted slots to H_init/L_init and swaps in only their new data', async () => {
    const model = makeModel({ halt_max_steps: 3 });
    randomizeZeroInits(model, 4);
    const cfg = model.config;
    const a = randomBatch(cfg, 3, 10);
    const b = randomBatch(cfg, 3, 20);
    const first = await step(model, initialCarry(model, 3), a, { training: false });
    expect(first.steps).toEqual([1, 1, 1]);
    expect(first.halted).toEqual([false, false, false]);
    expect([...first.inputs]).toEqual([...a.inputs]);

    setHalted(first.carry, [false, true, false]);
    const second = await step(model, first.carry, b, { training: false });
    live.push({ dispose: () => disposeCarry(second.carry) });
    expect(second.steps).toEqual([2, 1, 2]);
    const pick = (x: PuzzleBatch, y: PuzzleBatch, key: 'inputs' | 'labels') => [rows(x[key], 6)[0], rows(y[key], 6)[1], rows(x[key], 6)[2]];
    expect(rows(second.inputs, 6)).toEqual(pick(a, b, 'inputs'));
    expect(rows(second.labels, 6)).toEqual(pick(a, b, 'labels'));
    expect([...second.ids]).toEqual([a.puzzleIdentifiers[0], b.puzzleIdentifiers[1], a.puzzleIdentifiers[2]]);

    // The reset slot computes exactly what a fresh carry computes on the new data; the others continue.
    const fresh = await step(model, initialCarry(model, 3), b, { training: false });
    disposeCarry(fresh.carry);
    const width = cfg.seq_len * cfg.vocab_size;
    expect(maxAbsDiff(rows(second.logits, width)[1]!, rows(fresh.logits, width)[1]!)).toBe(0);
    expect(maxAbsDiff(rows(second.logits, width)[0]!, rows(first.logits, width)[0]!)).toBeGreaterThan(1e-6);
  });
});

describe('actStep: halting', () => {
  it('never halts early in evaluation, whatever the Q values say', async () => {
    const model = makeModel({ halt_max_steps: 3 });
    fixQ(model, 5, -5);
    const batch = randomBatch(model.config, 2, 1);
    let carry = initialCarry(model, 2);
    const seen: [number[], boolean[]][] = [];
    for (let i = 0; i < 4; i++) {
      const r = await step(model, carry, batch, { training: false });
      carry = r.carry;
      seen.push([r.steps, r.halted]);
      expect(r.target).toBeNull();
    }
    disposeCarry(carry);
    expect(seen).toEqual([
      [
        [1, 1],
        [false, false],
      ],
      [
        [2, 2],
        [false, false],
      ],
      [
        [3, 3],
        [true, true],
      ],
      [
        [1, 1],
        [false, false],
      ],
    ]);
  });

  it('in training halts when q_halt > q_continue (strictly), else at halt_max_steps', async () => {
    const model = makeModel({ halt_max_steps: 3, halt_exploration_prob: 0 });
    const batch = randomBatch(model.config, 2, 1);
    for (const [halt, cont, expected] of [
      [1, -1, [true, true, true]],
      [0, 0, [false, false, true]],
      [-1, 1, [false, false, true]],
    ] as const) {
      fixQ(model, halt, cont);
      let carry = initialCarry(model, 2);
      const halts: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await step(model, carry, batch, { training: true, rng: new Rng(i) });
        carry = r.carry;
        halts.push(r.halted[0]!);
      }
      disposeCarry(carry);
      expect(halts, `q_halt ${halt}, q_continue ${cont}`).toEqual(expected);
    }
  });

  it('explores: a slot drawing min_halt in [2, halt_max_steps] cannot halt before it', async () => {
    const B = 12;
    const model = makeModel({ halt_max_steps: 4, halt_exploration_prob: 0.5 });
    fixQ(model, 1, -1); // Q says halt at once
    const batch = randomBatch(model.config, B, 1);
    const rng = new Rng(42);
    const replay = Rng.fromState(rng.state());
    let carry = initialCarry(model, B);
    let steps = new Array<number>(B).fill(0);
    let halted = new Array<boolean>(B).fill(true);
    let sawExploration = false;
    for (let i = 0; i < 6; i++) {
      const minHalt = drawMinHaltSteps(replay, B, 4, 0.5);
      steps = steps.map((s, b) => (halted[b] ? 1 : s + 1));
      halted = steps.map((s, b) => s >= minHalt[b]!);
      sawExploration ||= halted.some((h) => !h);
      const r = await step(model, carry, batch, { training: true, rng });
      carry = r.carry;
      expect(r.steps).toEqual(steps);
      expect(r.halted).toEqual(halted);
    }
    disposeCarry(carry);
    expect(sawExploration).toBe(true);
  });
});

describe('actStep: bootstrapped Q target', () => {
  it('is sigmoid(is_last ? q_halt : max(q_halt, q_continue)) of a second pass from the new carry', async () => {
    const model = makeModel({ halt_max_steps: 2, halt_exploration_prob: 0.3 });
    randomizeZeroInits(model, 8);
    randomize(model.param('q_head.weight'), 3, 2); // make q_halt and q_continue differ clearly
    const batch = randomBatch(model.config, 4, 2);
    const rng = new Rng(1);
    let carry = initialCarry(model, 4);
    let sawLast = false;
    let sawMax = false;
    for (let i = 0; i < 3; i++) {
      const r = await step(model, carry, batch, { training: true, rng });
      carry = r.carry;
      const again = tidy(() =>
        noGrad(() => {
          const puzzleRows = gather(model.puzzleEmbTable!, carry.puzzleIdentifiers, 0);
          const out = runSegment(model, carry.zH, carry.zL, model.embed(carry.inputs, puzzleRows), 'one-step');
          return [sigmoid(out.qHaltLogits), sigmoid(out.qContinueLogits)];
        }),
      );
      const [h, c] = await Promise.all(again.map(async (t) => Float64Array.from(await t.data())));
      again.forEach((t) => t.dispose());
      const expected = r.steps.map((s, b) => (s >= 2 ? h![b]! : Math.max(h![b]!, c![b]!)));
      sawLast ||= r.steps.some((s) => s >= 2);
      sawMax ||= r.steps.some((s, b) => s < 2 && c![b]! > h![b]!);
      expect(maxAbsDiff(r.target!, expected)).toBeLessThan(1e-12);
    }
    disposeCarry(carry);
    expect(sawLast && sawMax).toBe(true);
  });

  it('is absent with halt_max_steps = 1 (every step halts)', async () => {
    const model = makeModel({ halt_max_steps: 1 });
    const r = await step(model, initialCarry(model, 2), randomBatch(model.config, 2, 1), { training: true });
    disposeCarry(r.carry);
    expect(r.target).toBeNull();
    expect(r.halted).toEqual([true, true]);
  });
});

describe('actStep: checks', () => {
  it('refuses a batch that does not fit the carry or the configuration', () => {
    const model = makeModel({});
    const carry = initialCarry(model, 2);
    live.push({ dispose: () => disposeCarry(carry) });
    const batch = randomBatch(model.config, 2, 1);
    expect(() => actStep(model, carry, randomBatch(model.config, 3, 1), { training: false })).toThrow(/3 rows, the carry 2/);
    expect(() => actStep(model, carry, { ...batch, puzzleIdentifiers: Int32Array.of(0, 9) }, { training: false })).toThrow(/puzzle identifier 9 of row 1/);
    expect(() => actStep(model, carry, batch, { training: true })).toThrow(/needs an rng/);
  });
});
