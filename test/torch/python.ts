/**
 * PyTorch for tests that need files written by `torch.save`: found through HRM_TORCH_PYTHON
 * (default /usr/bin/python3). Tests skip with a notice when it cannot import torch, unless
 * HRM_REQUIRE_TORCH=1 makes that a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
export const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
export const requireTorch = process.env.HRM_REQUIRE_TORCH === '1';
/** True when the suite should run (torch present, or required so that its absence fails). */
export const runTorchTests = hasTorch || requireTorch;

export function warnIfSkipped(what: string): void {
  if (!runTorchTests) console.warn(`${what} skipped: ${PYTHON} cannot import torch (apt-get install python3-torch; HRM_REQUIRE_TORCH=1 makes this a failure)`);
}

/** Runs one of this folder's Python scripts with `args`; throws with its stderr on failure. */
export function runTorchScript(script: string, args: string[]): string {
  if (!hasTorch) throw new Error(`${PYTHON} cannot import torch, and HRM_REQUIRE_TORCH=1`);
  const path = fileURLToPath(new URL(script, import.meta.url));
  const run = spawnSync(PYTHON, [path, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${script} failed (exit ${run.status}):\n${run.stderr}`);
  return run.stdout;
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
