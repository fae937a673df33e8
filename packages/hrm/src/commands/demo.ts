/**
 * `hrm demo`: generates 4x4 Sudoku puzzles, trains a small HRM on them with the progress bar,
 * evaluates it on held-out puzzles and solves one of them segment by segment.
 */
import { join } from 'node:path';
import { backendName } from '@hrm-webgpu/tensor';
import { cpuThreadCount } from '@hrm-webgpu/tensor/node';
import type { Command } from './main.js';
import { demoSudoku4x4Config } from '../config.js';
import { DEMO_ARCH, DEMO_TRAINING } from '../presets.js';
import { runTraining } from '../train/run.js';
import type { TrainingSettings } from '../train/training-config.js';
import { boolFlag, numberFlag, parseFlags, stringFlag, UsageError } from './args.js';
import { backendFlags, initBackendFromFlags } from './backend.js';
import { generateDemoData } from '../data/demo.js';
import { printSolve } from './solve.js';

/** Givens per generated puzzle (16 cells); 0 generates minimal puzzles (4-6 givens, much harder). */
export const DEMO_GIVENS = 10;

const usage = `Usage: hrm demo [--out DIR] [--steps N] [--seed N] [--backend cpu|webgpu|auto]

Generates 4x4 Sudoku puzzles, trains a small HRM on them (progress bar), evaluates it on
held-out puzzles and solves one of them segment by segment.

  --out DIR       output folder (default: runs/demo-<time>)
  --steps N       training steps (default: ${DEMO_TRAINING.steps})
  --seed N        seed (default: 0)
  --givens N      givens per puzzle (default: ${DEMO_GIVENS}; 0: minimal puzzles, much harder)
  --no-progress   plain log lines instead of the progress bar
  --backend B     cpu | webgpu | auto (default: HRM_BACKEND, else cpu: faster for this size)`;

export const demoCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(argv, {
      out: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      givens: { type: 'string' },
      'no-progress': { type: 'boolean' },
      ...backendFlags,
    });
    // Measured: for a model this small the CPU backend trains several times faster than WebGPU
    // on lavapipe (CPU-emulated Vulkan), where dispatch overhead dominates.
    const defaulted = stringFlag(flags, 'backend') === undefined && process.env.HRM_BACKEND === undefined;
    if (defaulted) flags.values.backend = 'cpu';
    await initBackendFromFlags(flags);
    const seed = numberFlag(flags, 'seed', 'integer') ?? 0;
    const steps = numberFlag(flags, 'steps', 'integer') ?? DEMO_TRAINING.steps;
    const out = stringFlag(flags, 'out') ?? join('runs', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);

    const started = performance.now();
    const threads = backendName() === 'cpu' ? `, ${cpuThreadCount()} thread(s) for matrix products` : '';
    console.log(`backend: ${backendName()}${threads}${defaulted ? ' (faster than WebGPU for this small model; --backend webgpu to compare)' : ''}`);
    console.log('generating 4x4 Sudoku puzzles...');
    const givens = numberFlag(flags, 'givens', 'integer') ?? DEMO_GIVENS;
    if (givens < 0 || givens > 16) throw new UsageError('--givens must lie in 0..16');
    const data = generateDemoData({ trainPuzzles: 4000, testPuzzles: 500, augmentations: 0, seed, givens });
    console.log(
      `train: ${data.train.puzzleIdentifiers.length} puzzles; held-out test: ${data.test.puzzleIdentifiers.length} puzzles (${givens || 'minimal'} givens)`,
    );

    const arch = demoSudoku4x4Config({ ...DEMO_ARCH, batch_size: DEMO_TRAINING.global_batch_size });
    const training: TrainingSettings = { ...DEMO_TRAINING, steps, seed };
    console.log(
      `model: hidden ${arch.hidden_size}, ${arch.num_heads} heads, H/L layers ${arch.H_layers}/${arch.L_layers}, ` +
        `H/L cycles ${arch.H_cycles}/${arch.L_cycles}, up to ${arch.halt_max_steps} segments, ${arch.pos_encodings} positions; ` +
        `training: batch ${training.global_batch_size}, lr ${training.lr}, ${steps} steps (the whole configuration is stored in run.json and every checkpoint)`,
    );
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
    await printSolve(
      model,
      arch,
      Int32Array.from(first, (t) => Math.max(0, t - 1)),
    );
    console.log(`\nrun folder: ${out}`);
  },
};
