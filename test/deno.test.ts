/**
 * The engine and HRM inference under Deno (the npm package `deno` ships the runtime): a subset of
 * ops on the CPU backend and on Deno's WebGPU, and one HRM forward through HRMSession, compared
 * with Node's results for the same inputs (CPU plain kernels: bit for bit, the same code; CPU
 * SIMD kernels within 1e-5; WebGPU within 1e-4 normwise, predictions equal). Skipped with a notice without Deno, unless HRM_REQUIRE_DENO=1;
 * WebGPU in Deno is required where HRM_REQUIRE_WEBGPU=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, serializeSafetensors, setBackend } from '@hrm-webgpu/tensor';
import { relativeError, webgpuRequired } from '@hrm-webgpu/tensor/testing';
import { describe, expect, it } from 'vitest';
import { demoSudoku4x4Config } from '../packages/hrm/src/config.js';
import { sudokuTokens } from '../packages/hrm/src/data/sudoku/build.js';
import { generateSudoku } from '../packages/hrm/src/data/sudoku/generator.js';
import { HRM } from '../packages/hrm/src/model/hrm.js';
import { HRMSession } from '../packages/hrm/src/session.js';
import { weightEntries } from '../packages/hrm/src/train/checkpoint.js';
import { bundleForBrowser } from './browser/bundle.js';
import { OP_NAMES, opOutputs } from './deno/ops.js';

const DENO = process.env.HRM_DENO ?? fileURLToPath(new URL('../node_modules/.bin/deno', import.meta.url));
const hasDeno = existsSync(DENO) && spawnSync(DENO, ['--version'], { stdio: 'ignore' }).status === 0;
const REQUIRED = process.env.HRM_REQUIRE_DENO === '1';
if (!hasDeno && !REQUIRED)
  console.warn(`[tests] Deno test skipped: no runnable deno at ${DENO} (npm ci installs it; HRM_REQUIRE_DENO=1 makes this a failure).`);

interface BackendReport {
  adapter?: string;
  unavailable?: string;
  ops: Record<string, number[][]>;
  hrm: { adapter: string; segments: { prediction: number[]; qHalt: number; qContinue: number }[] };
}

/** max |a - b| over max |b| (expected values finite). */
function normwise(actual: readonly number[], expected: readonly number[]): number {
  expect(expected.every(Number.isFinite), 'expected values finite').toBe(true);
  return relativeError(actual, expected, 1e-30);
}

describe.skipIf(!hasDeno && !REQUIRED)('Deno', () => {
  it('runs the ops and one HRM forward on both backends, as Node does', { timeout: 300_000 }, async () => {
    expect(hasDeno, `HRM_REQUIRE_DENO=1 but there is no runnable deno at ${DENO}`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'hrm-deno-'));
    await bundleForBrowser(fileURLToPath(new URL('./deno/main.ts', import.meta.url)), join(dir, 'main.js'));

    await setBackend('cpu');
    const config = demoSudoku4x4Config({ hidden_size: 16, num_heads: 2, puzzle_emb_ndim: 16, halt_max_steps: 3 });
    const model = new HRM(config, { rng: new Rng(21) });
    const entries = await weightEntries(model);
    model.dispose();
    const rng = new Rng(22);
    for (const key of ['model.inner.q_head.weight', 'model.inner.q_head.bias']) entries[key]!.data.forEach((_, i, a) => (a[i] = rng.normal()));
    const bytes = serializeSafetensors(entries, { hrm_config: JSON.stringify(config) });
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const tokens = Array.from(sudokuTokens(generateSudoku({ box: 2, targetGivens: 7 }, Rng.fromSeed(9)).puzzle));

    const run = spawnSync(DENO, ['run', '--unstable-webgpu', `--allow-read=${dir}`, join(dir, 'main.js'), join(dir, 'model.safetensors'), tokens.join(',')], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 1 << 26,
    });
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(last.startsWith('{'), `deno printed no report (exit ${run.status}):\n${run.stderr}`).toBe(true);
    const report = JSON.parse(last) as { deno: string; cpu: BackendReport; cpuSimd: { simd: boolean; ops: Record<string, number[][]> }; webgpu: BackendReport };

    await setBackend('cpu', { simd: false });
    const nodeOps = await opOutputs();
    const session = await HRMSession.create(bytes, { backend: 'cpu' });
    const nodeHrm = (await session.solve(tokens)).map((s) => ({ prediction: Array.from(s.prediction), qHalt: s.qHaltLogit, qContinue: s.qContinueLogit }));
    session.dispose();

    // The CPU backend's plain kernels are the same code in both runtimes: the same bits.
    expect(Object.keys(report.cpu.ops)).toEqual(OP_NAMES);
    expect(report.cpu.ops).toEqual(nodeOps);
    expect(report.cpu.hrm.segments).toEqual(nodeHrm);
    // The SIMD kernels, where Deno's engine has them, agree to rounding.
    for (const name of OP_NAMES) {
      report.cpuSimd.ops[name]!.forEach((out, i) => expect(normwise(out, nodeOps[name]![i]!), `cpu simd ${name} output ${i}`).toBeLessThan(1e-5));
    }

    if (report.webgpu.unavailable) {
      expect(webgpuRequired(), `HRM_REQUIRE_WEBGPU=1 but Deno ${report.deno} has no WebGPU: ${report.webgpu.unavailable}`).toBe(false);
      console.warn(`[tests] Deno ${report.deno}: WebGPU part skipped (${report.webgpu.unavailable})`);
      return;
    }
    console.info(`[tests] Deno ${report.deno} WebGPU on ${report.webgpu.adapter}`);
    for (const name of OP_NAMES) {
      report.webgpu.ops[name]!.forEach((out, i) => expect(normwise(out, nodeOps[name]![i]!), `${name} output ${i}`).toBeLessThan(1e-4));
    }
    const gpuSegments = report.webgpu.hrm.segments;
    expect(report.webgpu.hrm.adapter, 'the session ran on WebGPU').not.toMatch(/^CPU backend/);
    expect(gpuSegments.map((s) => s.prediction)).toEqual(nodeHrm.map((s) => s.prediction));
    expect(
      normwise(
        gpuSegments.flatMap((s) => [s.qHalt, s.qContinue]),
        nodeHrm.flatMap((s) => [s.qHalt, s.qContinue]),
      ),
    ).toBeLessThan(1e-4);
  });
});
