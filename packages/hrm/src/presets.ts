/**
 * The `--preset` choices: each sets the architecture around the data's sizes and training
 * settings that fit that model. The official presets keep the reference's training values
 * (DEFAULT_TRAINING); `sudoku4x4` is the demo's recipe, measured to train in minutes on a CPU;
 * `sudoku9` a 9x9 recipe sized for about an hour on a CPU once a step costs what PyTorch's does.
 */
import { demoSudoku4x4Config, officialArcConfig, officialMazeConfig, officialSudokuConfig, type HRMConfig } from './config.js';
import type { DatasetMetadata } from './data/types.js';
import type { TrainingConfig, TrainingSettings } from './train/training-config.js';

/** The demo's configuration, chosen by a measured search on a 2-core machine (the package README's "Measured"). */
export const DEMO_ARCH: Partial<HRMConfig> = {
  hidden_size: 32,
  num_heads: 4,
  expansion: 2,
  puzzle_emb_ndim: 32,
  // RoPE at head_dim 8 turns at 1, 0.1, 0.01 and 0.001 rad per position, none near the quarter
  // turn that lines up a column of the flattened grid: runs reached 70-97% depending on the seed.
  pos_encodings: 'learned',
  H_layers: 1,
  L_layers: 1,
  // The official cycle structure: every segment runs three no-grad L/H steps before the two
  // differentiated ones (the 1-step gradient). 100% held-out exact at seed 0 where 1x1 gave 98.8%.
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 3,
};

export const DEMO_TRAINING: Omit<TrainingSettings, 'seed'> = {
  global_batch_size: 16,
  steps: 4500,
  lr: 6e-3,
  lr_min_ratio: 0.1,
  lr_warmup_steps: 200,
  weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 6e-3,
  puzzle_emb_weight_decay: 0.1,
  eval_every: 750,
  eval_batch_size: 256,
};

/**
 * 9x9 Sudoku with 40-50 blanks (`hrm data build sudoku --generate N --size 9 --givens 31-41`) at
 * the paper's structure: 2 x 2 cycles with the 1-step gradient, deep supervision with learned
 * halting over up to 4 segments. The package README gives the commands and figures.
 */
export const SUDOKU9_ARCH: Partial<HRMConfig> = {
  hidden_size: 64,
  num_heads: 4,
  expansion: 2,
  puzzle_emb_ndim: 64,
  H_layers: 2,
  L_layers: 2,
  H_cycles: 2,
  L_cycles: 2,
  halt_max_steps: 4,
  halt_exploration_prob: 0.1,
  // As in the demo: at head_dim 16 RoPE's slowest turns cannot line up the grid's columns.
  pos_encodings: 'learned',
  forward_dtype: 'float32',
};

/**
 * 4000 steps of 64 puzzles: about 63 minutes at the reference PyTorch model's measured step for
 * this size (945 ms of CPU time on one thread, bench/torch/hrm_step.py), less with two threads.
 */
export const SUDOKU9_TRAINING: Omit<TrainingSettings, 'seed'> = {
  global_batch_size: 64,
  steps: 4000,
  lr: 3e-3,
  lr_min_ratio: 0.1,
  lr_warmup_steps: 300,
  weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 3e-3,
  puzzle_emb_weight_decay: 0.1,
  eval_every: 500,
  eval_batch_size: 256,
};

export const PRESETS = ['sudoku', 'maze', 'arc', 'sudoku4x4', 'sudoku9'] as const;
export type Preset = (typeof PRESETS)[number];

export function presetArch(preset: Preset, meta: DatasetMetadata): Partial<HRMConfig> {
  const data = { seq_len: meta.seq_len, vocab_size: meta.vocab_size, num_puzzle_identifiers: meta.num_puzzle_identifiers };
  switch (preset) {
    case 'sudoku':
      return { ...officialSudokuConfig(), ...data };
    case 'maze':
      return { ...officialMazeConfig(), ...data };
    case 'arc':
      return officialArcConfig(meta.num_puzzle_identifiers);
    case 'sudoku4x4':
      return { ...demoSudoku4x4Config(DEMO_ARCH), ...data };
    case 'sudoku9':
      return { ...officialSudokuConfig(SUDOKU9_ARCH), ...data };
  }
}

/**
 * Training settings a preset brings (over DEFAULT_TRAINING, under a config file and flags): the
 * reference's run lengths and ARC's embedding settings (spec section 6), or the demo's recipe.
 */
export function presetTraining(preset: Preset): Partial<TrainingConfig> {
  switch (preset) {
    case 'sudoku':
    case 'maze':
      return { epochs: 20000 };
    case 'arc':
      return { epochs: 100000, puzzle_emb_lr: 1e-2, weight_decay: 0.1, puzzle_emb_weight_decay: 0.1 };
    case 'sudoku4x4':
      return DEMO_TRAINING;
    case 'sudoku9':
      return SUDOKU9_TRAINING;
  }
}
