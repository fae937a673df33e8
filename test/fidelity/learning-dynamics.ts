/**
 * Learning dynamics against PyTorch: our Trainer and the reference model (hrm_reference.py, through
 * learning_dynamics.py) train from the same initial weights on the same batches with the same
 * optimisers (AdamATan2, sparse SignSGD) and warmup-cosine schedule, halting exploration off
 * (halt_exploration_prob 0) so that both sides are deterministic; per step we record the loss and
 * the training accuracies of both and how far apart they are.
 *
 * Both sides compute in float32 with different summation orders, so they agree to rounding at
 * first; the gap then grows with training (chaotic amplification of rounding), with jumps where a
 * sequence's halting decision (q_halt > q_continue) flips on one side only.
 *
 * Usage: node --import tsx --import ./scripts/register-wgsl.mjs test/fidelity/learning-dynamics.ts
 *          [--steps 300] [--seed 0] [--dtype f32|f64] [--out docs/fidelity]
 *          [--data DIR --preset NAME] [--batch N] [--lr X]
 * writes learning-dynamics.json and learning-dynamics.svg (-f64 before the extension in float64,
 * -NAME with a preset) to --out and prints the summary. By default both sides train the demo's
 * model on generated 4x4 puzzles; `--data` (a built dataset folder, its train split) with
 * `--preset` (e.g. sudoku9) compares a task recipe at its own size instead.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setBackend } from '@hrm-webgpu/tensor';
import { writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { demoSudoku4x4Config, type HRMConfig, validateConfig } from '../../packages/hrm/src/config.js';
import type { PuzzleDataset } from '../../packages/hrm/src/data/dataset.js';
import { generateDemoData } from '../../packages/hrm/src/data/demo.js';
import { readDataset } from '../../packages/hrm/src/data/node/datasetFiles.js';
import { trainBatches } from '../../packages/hrm/src/data/batching.js';
import { type ActMetrics, reduceMetrics } from '../../packages/hrm/src/losses.js';
import { type FloatDType, HRM } from '../../packages/hrm/src/model/hrm.js';
import { PRESETS, type Preset, presetArch, presetTraining } from '../../packages/hrm/src/presets.js';
import { lineChart } from '../../packages/hrm/src/report/svg.js';
import { weightEntries } from '../../packages/hrm/src/train/checkpoint.js';
import { stackSvgs, windowMeans } from '../../packages/hrm/src/train/plot.js';
import { streamSeeds, Trainer } from '../../packages/hrm/src/train/trainer.js';
import { type TrainingConfig, type TrainingSettings, validateTrainingConfig } from '../../packages/hrm/src/train/training-config.js';

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('./learning_dynamics.py', import.meta.url));

export interface DynamicsOptions {
  steps: number;
  seed: number;
  /** Model fields over DYNAMICS_ARCH. */
  arch?: Partial<HRMConfig>;
  /** Training fields over DYNAMICS_TRAINING (steps and seed come from above). */
  training?: Partial<TrainingSettings>;
  /** Both sides in float64 (default f32): tells rounding amplification from a real difference. */
  dtype?: FloatDType;
  /** Training examples (default: 2000 generated 4x4 puzzles with 10 givens). */
  train?: PuzzleDataset;
  /** A task recipe's model and training settings in place of the demo's (`train` must fit it). */
  preset?: Preset;
}

/** The demo's model at the paper's cycle structure (2 x 2, deep supervision over 2 segments). */
export const DYNAMICS_ARCH: Partial<HRMConfig> = {
  hidden_size: 32,
  num_heads: 4,
  expansion: 2,
  puzzle_emb_ndim: 32,
  pos_encodings: 'learned',
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 2,
  halt_exploration_prob: 0,
};

/** The demo's recipe, with the warmup scaled to a few hundred steps. */
export const DYNAMICS_TRAINING: Omit<TrainingSettings, 'steps' | 'seed'> = {
  global_batch_size: 16,
  lr: 6e-3,
  lr_min_ratio: 0.1,
  lr_warmup_steps: 30,
  weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 6e-3,
  puzzle_emb_weight_decay: 0.1,
  eval_every: 0,
};

export interface StepRecord {
  step: number;
  lr: number;
  /** (lm + 0.5 (q_halt + q_continue)) / batch, as the trainer logs it. */
  loss: number;
  lm_loss: number;
  /** Over the sequences that halted at this step. */
  accuracy: number;
  exact_accuracy: number;
  /** Sequences that halted at this step. */
  count: number;
}

export interface DynamicsResult {
  dtype: FloatDType;
  arch: HRMConfig;
  training: TrainingConfig;
  ours: StepRecord[];
  reference: StepRecord[];
  /** Per step: |ours - reference| / |reference| of the loss. */
  lossRelError: number[];
  /** First step where the halted counts differ (a halting decision flipped), or null. */
  firstHaltingDifference: number | null;
  seconds: { ours: number; reference: number };
}

function record(step: number, lr: number, m: ActMetrics, batch: number): StepRecord {
  const r = reduceMetrics(m, 'train', batch);
  return {
    step,
    lr,
    loss: r.lm_loss! + 0.5 * (r.q_halt_loss! + (r.q_continue_loss ?? 0)),
    lm_loss: r.lm_loss!,
    accuracy: r.accuracy!,
    exact_accuracy: r.exact_accuracy!,
    count: r.count!,
  };
}

function runReference(args: string[]): Promise<{ steps: { lr: number; metrics: ActMetrics }[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [DRIVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${DRIVER} failed (exit ${code}):\n${err}`));
      else resolve(JSON.parse(last));
    });
  });
}

/** Trains both sides (the reference in a child process, at the same time) and compares them. */
export async function runLearningDynamics(opts: DynamicsOptions): Promise<DynamicsResult> {
  await setBackend('cpu');
  const train = opts.train ?? generateDemoData({ trainPuzzles: 2000, testPuzzles: 0, augmentations: 0, seed: opts.seed, givens: 10 }).train;
  const recipe = opts.preset ? presetTraining(opts.preset) : DYNAMICS_TRAINING;
  const training = validateTrainingConfig({ ...recipe, eval_every: 0, ...opts.training, steps: opts.steps, seed: opts.seed });
  const B = training.global_batch_size;
  // Exploration off on both sides: the random minimum segment counts would not match.
  const arch = opts.preset
    ? validateConfig({ ...presetArch(opts.preset, train.metadata), ...opts.arch, halt_exploration_prob: 0, batch_size: B }, `preset ${opts.preset}`)
    : demoSudoku4x4Config({ ...DYNAMICS_ARCH, ...opts.arch, batch_size: B });
  const dtype = opts.dtype ?? 'f32';
  const model = new HRM(arch, { seed: streamSeeds(training.seed).init, dtype });

  // The batches the trainer will draw: the same stream, seeded alike.
  const stream = trainBatches(train, { globalBatchSize: B, seed: streamSeeds(training.seed).data });
  const S = arch.seq_len;
  const inputs = new Int32Array(opts.steps * B * S);
  const labels = new Int32Array(opts.steps * B * S);
  const ids = new Int32Array(opts.steps * B);
  for (let t = 0; t < opts.steps; t++) {
    const { batch } = stream.next().value!;
    inputs.set(batch.inputs, t * B * S);
    labels.set(batch.labels, t * B * S);
    ids.set(batch.puzzleIdentifiers, t * B);
  }

  const work = mkdtempSync(join(tmpdir(), 'hrm-dynamics-'));
  try {
    const files = { checkpoint: join(work, 'init.safetensors'), batches: join(work, 'batches.safetensors'), config: join(work, 'config.json') };
    // The checkpoint holds f32: both sides start from its values, in f64 runs too.
    const init = await weightEntries(model);
    await writeSafetensorsFile(files.checkpoint, init);
    model.loadStateDict(init);
    await writeSafetensorsFile(files.batches, {
      inputs: { dtype: 'i32', shape: [opts.steps, B, S], data: inputs },
      labels: { dtype: 'i32', shape: [opts.steps, B, S], data: labels },
      puzzle_identifiers: { dtype: 'i32', shape: [opts.steps, B], data: ids },
    });
    writeFileSync(files.config, JSON.stringify({ arch, ...training }));
    const reference = runReference(['--checkpoint', files.checkpoint, '--config', files.config, '--batches', files.batches, '--dtype', dtype]);

    const started = performance.now();
    const trainer = Trainer.start(model, train, training);
    const ours: StepRecord[] = [];
    while (!trainer.done) {
      const r = await trainer.next();
      ours.push({ step: r.step, lr: r.lr!, loss: r.loss!, lm_loss: r.lm_loss!, accuracy: r.accuracy, exact_accuracy: r.exact_accuracy, count: r.count });
    }
    const oursSeconds = (performance.now() - started) / 1000;
    model.dispose();

    const ref = await reference;
    const refSteps = ref.steps.map((s, i) => record(i + 1, s.lr, s.metrics, B));
    const lossRelError = ours.map((o, i) => Math.abs(o.loss - refSteps[i]!.loss) / Math.abs(refSteps[i]!.loss));
    const flip = ours.findIndex((o, i) => o.count !== refSteps[i]!.count);
    return {
      dtype,
      arch,
      training,
      ours,
      reference: refSteps,
      lossRelError,
      firstHaltingDifference: flip < 0 ? null : flip + 1,
      seconds: { ours: oursSeconds, reference: ref.seconds },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Loss of both (per step), exact accuracy of both (window means), and the loss gap (log scale). */
export function dynamicsSvg(r: DynamicsResult): string {
  const pts = (rs: StepRecord[], f: (s: StepRecord) => number) => rs.map((s): [number, number] => [s.step, f(s)]);
  const halted = (rs: StepRecord[]) => rs.filter((s) => s.count > 0);
  const size = `${r.dtype}, ${r.arch.H_cycles}x${r.arch.L_cycles} cycles, hidden ${r.arch.hidden_size}, batch ${r.training.global_batch_size}`;
  return stackSvgs([
    lineChart({
      title: `Training loss: ours vs PyTorch reference (${size})`,
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        { name: 'ours', points: pts(r.ours, (s) => s.loss) },
        { name: 'PyTorch', points: pts(r.reference, (s) => s.loss) },
      ],
    }),
    lineChart({
      title: 'Accuracy of the sequences halting at each step (10-step means)',
      xLabel: 'step',
      yLabel: 'accuracy',
      series: [
        {
          name: 'token, ours',
          points: windowMeans(
            pts(halted(r.ours), (s) => s.accuracy),
            Math.ceil(r.ours.length / 10),
          ),
        },
        {
          name: 'token, PyTorch',
          points: windowMeans(
            pts(halted(r.reference), (s) => s.accuracy),
            Math.ceil(r.ours.length / 10),
          ),
        },
        {
          name: 'exact, ours',
          points: windowMeans(
            pts(halted(r.ours), (s) => s.exact_accuracy),
            Math.ceil(r.ours.length / 10),
          ),
        },
        {
          name: 'exact, PyTorch',
          points: windowMeans(
            pts(halted(r.reference), (s) => s.exact_accuracy),
            Math.ceil(r.ours.length / 10),
          ),
        },
      ],
    }),
    lineChart({
      title: 'Loss gap |ours - PyTorch| / PyTorch',
      xLabel: 'step',
      yLabel: 'relative difference',
      logY: true,
      series: [{ name: 'loss gap', points: r.lossRelError.map((e, i): [number, number] => [i + 1, e]) }],
    }),
  ]);
}

/** The figures the docs quote: both losses and their gap at a few steps. */
export function dynamicsSummary(r: DynamicsResult): string[] {
  const at = [1, 2, 10, 25, 50, 100, 150, 200, 250, 300, 400, 500].filter((s) => s <= r.ours.length);
  const lines = at.map((s) => {
    const o = r.ours[s - 1]!;
    const p = r.reference[s - 1]!;
    return `step ${String(s).padStart(4)}: loss ours ${o.loss.toFixed(6)}  PyTorch ${p.loss.toFixed(6)}  rel. diff ${r.lossRelError[s - 1]!.toExponential(2)}  token acc. ${o.accuracy.toFixed(3)} / ${p.accuracy.toFixed(3)}`;
  });
  const maxUpTo = (n: number) => Math.max(...r.lossRelError.slice(0, n));
  lines.push(
    `max rel. loss diff: steps 1-10 ${maxUpTo(10).toExponential(2)}, 1-50 ${maxUpTo(50).toExponential(2)}, all ${maxUpTo(r.ours.length).toExponential(2)}`,
  );
  const mean = (rs: StepRecord[]) => rs.reduce((s, x) => s + x.loss, 0) / rs.length;
  const last = Math.min(50, r.ours.length);
  lines.push(`mean loss of the last ${last} steps: ours ${mean(r.ours.slice(-last)).toFixed(4)}, PyTorch ${mean(r.reference.slice(-last)).toFixed(4)}`);
  lines.push(`first step where the halted counts differ: ${r.firstHaltingDifference ?? 'none'}`);
  lines.push(`time: ours ${r.seconds.ours.toFixed(1)} s, PyTorch ${r.seconds.reference.toFixed(1)} s (both one thread, running side by side)`);
  return lines;
}

async function main(): Promise<void> {
  const text = { type: 'string' } as const;
  const { values } = parseArgs({ options: { steps: text, seed: text, dtype: text, out: text, data: text, preset: text, batch: text, lr: text } });
  const steps = Number(values.steps ?? 300);
  const seed = Number(values.seed ?? 0);
  const out = values.out ?? 'docs/fidelity';
  const dtype = values.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f64') throw new Error(`--dtype must be f32 or f64, got '${dtype}'`);
  const preset = values.preset;
  if (preset !== undefined && !(PRESETS as readonly string[]).includes(preset))
    throw new Error(`--preset must be one of ${PRESETS.join(', ')}, got '${preset}'`);
  if ((values.data === undefined) !== (preset === undefined)) throw new Error('--data and --preset go together: a recipe and the dataset it trains on');
  const training: Partial<TrainingSettings> = {
    ...(values.batch ? { global_batch_size: Number(values.batch) } : {}),
    ...(values.lr ? { lr: Number(values.lr), puzzle_emb_lr: Number(values.lr) } : {}),
  };
  const result = await runLearningDynamics({
    steps,
    seed,
    dtype,
    training,
    ...(values.data ? { train: readDataset(values.data, 'train') } : {}),
    ...(preset ? { preset: preset as Preset } : {}),
  });
  const name = `learning-dynamics${dtype === 'f64' ? '-f64' : ''}${preset ? `-${preset}` : ''}`;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), JSON.stringify(result) + '\n');
  writeFileSync(join(out, `${name}.svg`), dynamicsSvg(result));
  for (const line of dynamicsSummary(result)) console.log(line);
  console.log(`wrote ${join(out, `${name}.json`)} and ${join(out, `${name}.svg`)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
