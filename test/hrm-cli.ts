import { vi } from 'vitest';
import { main } from '../packages/hrm/src/commands/main.js';

/** Runs the `hrm` CLI in-process and returns its exit code and what it printed. */
export async function hrm(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** `hrm train` flags for a tiny, fast model on the CPU (the reliability and disk-full probes). */
export const TINY_TRAIN_FLAGS = [
  '--preset',
  'sudoku4x4',
  '--hidden-size',
  '16',
  '--num-heads',
  '2',
  '--puzzle-emb-ndim',
  '16',
  '--halt-max-steps',
  '3',
  '--global-batch-size',
  '8',
  '--lr',
  '0.003',
  '--lr-warmup-steps',
  '2',
  '--backend',
  'cpu',
  '--no-progress',
];
