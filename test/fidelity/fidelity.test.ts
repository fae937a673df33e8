/**
 * Fidelity against an independent PyTorch implementation of the specification
 * (test/fidelity/hrm_reference.py): same checkpoint and batch through `hrm trace` and the
 * reference -> logits, Q values, loss, metrics, the carry and every 1-step gradient within 1e-4
 * relative error, from the initial carry and after warm-up segments; and a few full training
 * steps (AdamATan2, sparse SignSGD, warmup-cosine schedule) weight for weight. Skipped, with a
 * notice, where PyTorch is missing, unless HRM_REQUIRE_TORCH=1.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
const DRIVER = fileURLToPath(new URL('./run_fidelity.py', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const requireTorch = process.env.HRM_REQUIRE_TORCH === '1';
if (!hasTorch && !requireTorch) {
  console.warn(`fidelity test skipped: ${PYTHON} cannot import torch (apt-get install python3-torch; HRM_REQUIRE_TORCH=1 makes this a failure)`);
}

interface CaseReport {
  tolerance: number;
  max_rel_error: Record<string, number>;
  errors: Record<string, number>;
}

describe.skipIf(!hasTorch && !requireTorch)('fidelity against the PyTorch reference', () => {
  // Eighteen `hrm` calls, each paying Node's start-up: allow for a loaded machine.
  it('matches outputs, carry, loss, metrics, every gradient and the optimiser steps within 1e-4', { timeout: 300_000 }, () => {
    expect(hasTorch, `${PYTHON} cannot import torch, and HRM_REQUIRE_TORCH=1`).toBe(true);
    const run = spawnSync(PYTHON, [DRIVER], { cwd: REPO, encoding: 'utf8', maxBuffer: 1 << 26 });
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(last.startsWith('{'), `driver produced no report (exit ${run.status}):\n${run.stderr}`).toBe(true);
    const report = JSON.parse(last) as { failures: string[]; cases: Record<string, CaseReport> };
    expect(report.failures).toEqual([]);
    const segment = ['logits', 'q_halt_logits', 'q_continue_logits', 'loss', 'grad', 'metric'];
    const carry = ['carry_in.steps', 'carry_in.halted', 'carry_out.steps', 'carry_out.halted'];
    const groups = (name: string) => Object.keys(report.cases[name]!.max_rel_error);
    for (const name of ['trained-f32', 'exported-f32', 'trained-warmup-f32', 'exported-warmup-f32']) {
      expect(groups(name)).toEqual(expect.arrayContaining([...segment, 'target_q_continue', ...carry]));
    }
    expect(groups('exported-steps-f32')).toEqual(expect.arrayContaining(['lr', 'puzzle_emb_lr', 'loss', 'carry.steps', 'carry.halted', 'weight']));
    expect(run.status).toBe(0);
  });
});
