/**
 * The 9x9 Sudoku recipe (`hrm train --preset sudoku9`): the paper's structure (2 x 2 cycles,
 * deep supervision with learned halting over up to 4 segments, the 1-step gradient) at a size
 * meant to train on a 2-core CPU within about an hour once a training step costs what PyTorch's
 * does, on generated puzzles with 40-50 blanks (`hrm data build sudoku --generate N --size 9
 * --givens 31-41`). The package README gives the commands and the measured figures.
 */
import { type HRMConfig, officialSudokuConfig } from '../config.js';
import type { TrainingConfig } from './training-config.js';

/** Givens of the generated puzzles: 81 cells minus 40-50 blanks. */
export const SUDOKU9_GIVENS = { min: 31, max: 41 } as const;

export function sudoku9Config(overrides: Partial<HRMConfig> = {}): HRMConfig {
  return officialSudokuConfig({
    batch_size: SUDOKU9_TRAINING.global_batch_size,
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
    ...overrides,
  });
}

/**
 * 4000 steps of 64 puzzles: about 63 minutes at the reference PyTorch model's measured step
 * (945 ms of CPU time on one thread, bench/torch/hrm_step.py), fewer with two threads.
 */
export const SUDOKU9_TRAINING: Omit<TrainingConfig, 'seed'> = {
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
