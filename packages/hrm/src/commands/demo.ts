/**
 * `hrm demo`: generates 4x4 Sudoku puzzles, trains a small HRM on them with the progress bar,
 * evaluates it on held-out puzzles and solves one of them segment by segment.
 */
import { join } from 'node:path';
import { backendName } from '@hrm-webgpu/tensor';
import type { Command } from './main.js';
import { demoSudoku4x4Config, type HRMConfig } from '../config.js';
import { runTraining } from '../train/run.js';
import type { TrainingConfig } from '../train/training-config.js';
import { numberFlag, parseFlags, stringFlag, boolFlag } from './args.js';
import { backendFlags, initBackendFromFlags } from './backend.js';
import { generateDemoData } from './demo-data.js';
import { printSolve } from './solve.js';

/** The demo's configuration, tuned by measurement on a 2-core machine (see the README). */
export const DEMO_ARCH: Partial<HRMConfig> = {
  hidden_size: 64,
  num_heads: 2,
  expansion: 2,
  puzzle_emb_ndim: 64,
  H_layers: 1,
  L_layers: 1,
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 4,
};

export const DEMO_TRAINING: Omit<TrainingConfig, 'seed'> = {
  global_batch_size: 64,
  steps: 1500,
  lr: 1e-3,
  lr_min_ratio: 0.1,
  lr_warmup_steps: 100,
  weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 1e-3,
  puzzle_emb_weight_decay: 0.1,
  eval_every: 0,
  eval_batch_size: 256,
};

const usage = `Usage: hrm demo [--out DIR] [--steps N] [--seed N] [--backend cpu|webgpu|auto]

Generates 4x4 Sudoku puzzles, trains a small HRM on them (progress bar), evaluates it on
held-out puzzles and solves one of them segment by segment.

  --out DIR       output folder (default: runs/demo-<time>)
  --steps N       training steps (default: ${DEMO_TRAINING.steps})
  --seed N        seed (default: 0)
  --no-progress   plain log lines instead of the progress bar
  --backend B     cpu | webgpu | auto (default: HRM_BACKEND, else cpu: faster for this size)`;

export const demoCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(argv, {
      out: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      'no-progress': { type: 'boolean' },
      ...backendFlags,
    });
    if (stringFlag(flags, 'backend') === undefined && process.env.HRM_BACKEND === undefined) flags.values.backend = 'cpu';
    await initBackendFromFlags(flags);
    const seed = numberFlag(flags, 'seed', 'integer') ?? 0;
    const steps = numberFlag(flags, 'steps', 'integer') ?? DEMO_TRAINING.steps;
    const out = stringFlag(flags, 'out') ?? join('runs', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);

    const started = performance.now();
    console.log(`backend: ${backendName()}; generating 4x4 Sudoku puzzles...`);
    const data = generateDemoData({ trainPuzzles: 2000, testPuzzles: 500, augmentations: 4, seed });
    console.log(`train: ${data.train.puzzleIdentifiers.length} puzzles; held-out test: ${data.test.puzzleIdentifiers.length} puzzles`);

    const arch = demoSudoku4x4Config({ ...DEMO_ARCH, batch_size: DEMO_TRAINING.global_batch_size });
    const training: TrainingConfig = { ...DEMO_TRAINING, steps, seed };
    const { model, lastEval } = await runTraining({
      arch,
      training,
      data: 'generated 4x4 Sudoku (hrm demo)',
      out,
      train: data.train,
      test: data.test,
      progress: !boolFlag(flags, 'no-progress'),
      print: () => undefined,
    });
    const seconds = (performance.now() - started) / 1000;
    if (lastEval) {
      console.log(
        `held-out exact accuracy: ${(100 * lastEval.exact_accuracy).toFixed(1)}% of ${lastEval.count} puzzles ` +
          `(token accuracy ${(100 * lastEval.accuracy).toFixed(1)}%), ${seconds.toFixed(0)} s in all`,
      );
    }
    const s = data.test.metadata.seq_len;
    const first = data.test.inputs.subarray(0, s);
    console.log('\nSolving a held-out puzzle segment by segment:');
    await printSolve(model, arch, Int32Array.from(first, (t) => Math.max(0, t - 1)));
    console.log(`\nrun folder: ${out}`);
  },
};
