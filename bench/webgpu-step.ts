/**
 * Where one HRM training step goes on WebGPU: dispatches per step, GPU time per kernel family (from
 * `profile(fn)`), and the time outside kernels (encoding and bind groups, readbacks, submits, the
 * buffer pool), beside PyTorch on the CPU with every core, in the same run. One step is what
 * bench/hrm-step.ts times: one ACT segment with the 1-step gradient, loss, backward, AdamATan2
 * and SignSGD, carry kept between steps.
 *
 *   node --import tsx --import ./scripts/register-wgsl.mjs bench/webgpu-step.ts [--sizes s4x4,h128] [--steps N]
 *
 * Prints a table per size and a JSON report (bench/out/webgpu-step.json). Profiling serialises the
 * GPU work, so the per-family times come from one extra profiled step and the step time from the
 * unprofiled ones. Time outside kernels is the host's: an unprofiled step's wall time less the time
 * its readbacks spent waiting for the GPU (the front end, autodiff, encoding and bind groups, the
 * pool), with the engine's own encoding time beside it. On a CPU-emulated adapter the kernels run
 * on this process's threads, so its CPU time is recorded beside PyTorch's too.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getBackend, profile, type ProfileReport } from '@hrm-webgpu/tensor';
import { initBackend } from '@hrm-webgpu/tensor/node';
import { type HRMConfig, validateConfig } from '@hrm-webgpu/hrm';
import type { EngineCounters, WebGpuEngine } from '../packages/tensor/src/backends/webgpu/engine.js';
import { isMain, writeReport } from './lib/timing.js';
import { withTrainer } from './lib/train-step.js';

const sudoku = { vocab_size: 11, num_puzzle_identifiers: 1, H_cycles: 2, L_cycles: 2, pos_encodings: 'rope', halt_max_steps: 16, halt_exploration_prob: 0.1 };
const SIZES: Record<string, HRMConfig> = {
  // 4x4 Sudoku scale: hidden 64, seq 16 (bench/hrm-step.ts's s4x4).
  s4x4: cfg({
    ...sudoku,
    seq_len: 16,
    vocab_size: 6,
    halt_max_steps: 4,
    batch_size: 64,
    hidden_size: 64,
    num_heads: 2,
    expansion: 2,
    H_layers: 1,
    L_layers: 1,
    puzzle_emb_ndim: 64,
  }),
  // 9x9 Sudoku scale (issue 13's reference size).
  h128: cfg({ ...sudoku, seq_len: 81, batch_size: 16, hidden_size: 128, num_heads: 4, expansion: 4, H_layers: 2, L_layers: 2, puzzle_emb_ndim: 128 }),
};

function cfg(fields: Record<string, unknown>): HRMConfig {
  return validateConfig(fields, 'bench webgpu-step');
}

/** Name parts that only say which dtype or variant ran. */
const VARIANT_WORDS = new Set([
  'f32',
  'i32',
  'bool',
  'vec4',
  'per',
  'thread',
  'tree',
  'blocked',
  'tiled',
  'staged',
  'subgroup',
  'softmax',
  'stablemax',
  'log',
  'atan2',
  'w',
]);

/** A kernel's family: its name without dtype and variant parts (matmul_staged_vec4 -> matmul). */
export function kernelFamily(name: string): string {
  const words = name.split('_');
  return words.filter((w, i) => i === 0 || !VARIANT_WORDS.has(w)).join('_');
}

export interface FamilyProfile {
  family: string;
  dispatches: number;
  gpuMs: number;
  share: number;
}

export interface StepBreakdown {
  size: string;
  config: Pick<HRMConfig, 'batch_size' | 'seq_len' | 'hidden_size' | 'num_heads' | 'H_layers' | 'L_layers' | 'H_cycles' | 'L_cycles'>;
  /** Unprofiled steps: median wall and process CPU milliseconds. */
  stepMs: number;
  stepCpuMs: number;
  /** Per unprofiled step, from the engine's counters. */
  perStep: { dispatches: number; submits: number; encodeMs: number; bindGroupsCreated: number; buffersCreated: number; readbacks: number; readbackMs: number };
  /** One profiled step. */
  gpuMs: number;
  timing: ProfileReport<unknown>['timing'];
  /** Wall time of an unprofiled step outside readback waits: host work, overlapping the GPU's. */
  outsideKernelsMs: number;
  families: FamilyProfile[];
  /** The kernels (name with variant and dtype) that took the most GPU time. */
  topKernels: { kernel: string; dispatches: number; gpuMs: number }[];
  torchAllThreadsMs: number | null;
  /** PyTorch's process CPU milliseconds per step (all threads). */
  torchCpuMs: number | null;
  /** Wall time over PyTorch's (the measure), and process CPU time over PyTorch's (steadier on a loaded machine). */
  ratioVsTorch: number | null;
  cpuRatioVsTorch: number | null;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 2) => +x.toFixed(digits);
const WARMUP_STEPS = 2;
const TOP_KERNELS = 12;

function diff(after: EngineCounters, before: EngineCounters, steps: number): StepBreakdown['perStep'] {
  const per = (k: keyof EngineCounters) => round((after[k] - before[k]) / steps);
  return {
    dispatches: per('dispatches'),
    submits: per('submits'),
    encodeMs: per('encodeMs'),
    bindGroupsCreated: per('bindGroupsCreated'),
    buffersCreated: per('buffersCreated'),
    readbacks: per('readbacks'),
    readbackMs: per('readbackMs'),
  };
}

async function measure(
  name: string,
  config: HRMConfig,
  steps: number,
): Promise<Omit<StepBreakdown, 'torchAllThreadsMs' | 'torchCpuMs' | 'ratioVsTorch' | 'cpuRatioVsTorch'>> {
  const engine = (getBackend() as unknown as { engine: WebGpuEngine }).engine;
  return withTrainer(config, async (step) => {
    for (let i = 0; i < WARMUP_STEPS; i++) await step();
    await engine.sync();
    const wall: number[] = [];
    const cpu: number[] = [];
    const before = engine.counters();
    for (let i = 0; i < steps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await step();
      await engine.sync();
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    const perStep = diff(engine.counters(), before, steps);
    const report = await profile(step);
    const gpuMs = Object.values(report.kernels).reduce((sum, k) => sum + k.ms, 0);
    const families = new Map<string, { dispatches: number; gpuMs: number }>();
    for (const [kernel, k] of Object.entries(report.kernels)) {
      const f = families.get(kernelFamily(kernel)) ?? { dispatches: 0, gpuMs: 0 };
      f.dispatches += k.dispatches;
      f.gpuMs += k.ms;
      families.set(kernelFamily(kernel), f);
    }
    const stepMs = median(wall);
    const { batch_size, seq_len, hidden_size, num_heads, H_layers, L_layers, H_cycles, L_cycles } = config;
    return {
      size: name,
      config: { batch_size, seq_len, hidden_size, num_heads, H_layers, L_layers, H_cycles, L_cycles },
      stepMs: round(stepMs),
      stepCpuMs: round(median(cpu)),
      perStep,
      gpuMs: round(gpuMs),
      timing: report.timing,
      outsideKernelsMs: round(stepMs - perStep.readbackMs),
      families: [...families]
        .map(([family, f]) => ({ family, dispatches: f.dispatches, gpuMs: round(f.gpuMs), share: round(f.gpuMs / gpuMs, 3) }))
        .sort((a, b) => b.gpuMs - a.gpuMs),
      topKernels: Object.entries(report.kernels)
        .map(([kernel, k]) => ({ kernel, dispatches: k.dispatches, gpuMs: round(k.ms) }))
        .sort((a, b) => b.gpuMs - a.gpuMs)
        .slice(0, TOP_KERNELS),
    };
  });
}

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch/hrm_step.py', import.meta.url));

/** PyTorch step times with every core (bench/torch/hrm_step.py), or null without torch. */
function torchTimes(configs: HRMConfig[], steps: number): { medianMs: number; cpuMs: number }[] | null {
  const spec = JSON.stringify({ configs, threads: os.availableParallelism(), warmup: WARMUP_STEPS, steps });
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) {
    console.error(`webgpu-step: no PyTorch timings (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)})`);
    return null;
  }
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: { medianMs: number; cpuMs: number }[] }).results;
}

export interface WebGpuStepReport {
  benchmark: 'webgpu-step';
  adapter: string;
  cores: number;
  loadAverage: number;
  steps: number;
  results: StepBreakdown[];
}

export async function run(opts: { sizes?: string[]; steps?: number } = {}): Promise<WebGpuStepReport> {
  const steps = opts.steps ?? 3;
  const names = opts.sizes ?? Object.keys(SIZES);
  for (const n of names) if (!SIZES[n]) throw new Error(`webgpu-step: unknown size '${n}'; known: ${Object.keys(SIZES).join(', ')}`);
  await initBackend('webgpu');
  const adapter = (getBackend() as { description?: string }).description ?? 'webgpu';
  const measured = [];
  for (const n of names) {
    console.error(`webgpu-step: ${n} on ${adapter}`);
    measured.push(await measure(n, SIZES[n]!, steps));
  }
  console.error('webgpu-step: PyTorch, all cores');
  const torch = torchTimes(
    names.map((n) => SIZES[n]!),
    steps,
  );
  const results = measured.map((m, i) => {
    const t = torch?.[i] ?? null;
    return {
      ...m,
      torchAllThreadsMs: t?.medianMs ?? null,
      torchCpuMs: t?.cpuMs ?? null,
      ratioVsTorch: t ? round(m.stepMs / t.medianMs) : null,
      cpuRatioVsTorch: t ? round(m.stepCpuMs / t.cpuMs) : null,
    };
  });
  return { benchmark: 'webgpu-step', adapter, cores: os.availableParallelism(), loadAverage: round(os.loadavg()[0]!), steps, results };
}

function printReport(report: WebGpuStepReport): void {
  for (const r of report.results) {
    const c = r.config;
    console.log(
      `\n${r.size}: batch ${c.batch_size}, seq ${c.seq_len}, hidden ${c.hidden_size}, heads ${c.num_heads}, layers ${c.H_layers}+${c.L_layers}, cycles ${c.H_cycles}x${c.L_cycles}`,
    );
    const p = r.perStep;
    console.log(
      `  step ${r.stepMs} ms (${r.stepCpuMs} ms process CPU); PyTorch ${report.cores} threads ${r.torchAllThreadsMs ?? '-'} ms (${r.torchCpuMs ?? '-'} ms CPU); ratio ${r.ratioVsTorch ?? '-'}x wall, ${r.cpuRatioVsTorch ?? '-'}x CPU`,
    );
    console.log(
      `  per step: ${p.dispatches} dispatches in ${p.submits} submits; encoding ${p.encodeMs} ms; ${p.bindGroupsCreated} bind groups and ${p.buffersCreated} buffers created; ${p.readbacks} readbacks waiting ${p.readbackMs} ms`,
    );
    console.log(`  host time outside readback waits ${r.outsideKernelsMs} ms; GPU time in kernels, profiled step (serialised) ${r.gpuMs} ms (${r.timing})`);
    console.table(r.families.map((f) => ({ family: f.family, dispatches: f.dispatches, 'GPU ms': f.gpuMs, share: `${(f.share * 100).toFixed(1)}%` })));
    console.log('  top kernels:');
    console.table(r.topKernels.map((k) => ({ kernel: k.kernel, dispatches: k.dispatches, 'GPU ms': k.gpuMs })));
  }
  console.log(`adapter ${report.adapter}; load average ${report.loadAverage} on ${report.cores} cores`);
}

/** Runs (`--sizes s4x4 --steps N` narrow it), prints the breakdown and writes bench/out/webgpu-step.json. */
export async function main(args: string[] = []): Promise<WebGpuStepReport> {
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' }, steps: { type: 'string' } } });
  const report = await run({ ...(values.sizes ? { sizes: values.sizes.split(',') } : {}), ...(values.steps ? { steps: Number(values.steps) } : {}) });
  printReport(report);
  writeReport('webgpu-step', report);
  return report;
}

if (isMain(import.meta.url)) await main(process.argv.slice(2));
