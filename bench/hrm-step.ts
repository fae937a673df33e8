/**
 * HRM training-step benchmark: one step = one ACT segment with the 1-step gradient (and the
 * bootstrapped Q-continue pass), the loss, backward, AdamATan2 on the parameters and SignSGD on
 * the puzzle rows, on a random batch, carry kept between steps as in training. Measured at a few
 * sizes on our CPU backend, our WebGPU backend (when an adapter exists) and PyTorch on the CPU
 * (the reference model of test/fidelity, in a Python subprocess, one thread and all threads).
 * Prints a table and a JSON line, and writes the JSON to bench/out/hrm-step.json.
 *
 *   node --import tsx --import ./scripts/register-wgsl.mjs bench/hrm-step.ts [--sizes demo,s4x4,h128] [--steps N]
 *
 * PyTorch runs with HRM_TORCH_PYTHON (default /usr/bin/python3) when it can import torch, with
 * OMP_WAIT_POLICY=PASSIVE unless set. The default run takes about 6 minutes on 2 loaded cores.
 * Wall times on a shared machine measure the contention too: CPU times are recorded beside them.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AdamATan2, Rng, SignSGD, getBackend, setBackend } from '@hrm-webgpu/tensor';
import { initBackend, startCpuThreads, stopCpuThreads } from '@hrm-webgpu/tensor/node';
import { HRM, type HRMConfig, demoSudoku4x4Config, disposeCarry, initialCarry, trainStep, validateConfig } from '@hrm-webgpu/hrm';
import { DEMO_ARCH, DEMO_TRAINING } from '../packages/hrm/src/commands/demo.js';
import { isMain, writeReport } from './lib/timing.js';

type PuzzleBatch = Parameters<typeof trainStep>[3];

interface BenchSize {
  name: string;
  config: HRMConfig;
}

const sudoku = { seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1, H_cycles: 2, L_cycles: 2, pos_encodings: 'rope', halt_max_steps: 16, halt_exploration_prob: 0.1 };
const SIZES: BenchSize[] = [
  { name: 'demo', config: demoSudoku4x4Config({ ...DEMO_ARCH, batch_size: DEMO_TRAINING.global_batch_size }) },
  // 4x4 Sudoku at demoSudoku4x4Config's defaults (the demo itself trains a smaller model, hidden 32).
  { name: 's4x4', config: cfg({ ...sudoku, seq_len: 16, vocab_size: 6, halt_max_steps: 4, batch_size: 64, hidden_size: 64, num_heads: 2, expansion: 2, H_layers: 1, L_layers: 1, puzzle_emb_ndim: 64 }) },
  { name: 'h128', config: cfg({ ...sudoku, batch_size: 16, hidden_size: 128, num_heads: 4, expansion: 4, H_layers: 2, L_layers: 2, puzzle_emb_ndim: 128 }) },
  { name: 'h256', config: cfg({ ...sudoku, batch_size: 16, hidden_size: 256, num_heads: 4, expansion: 4, H_layers: 2, L_layers: 2, puzzle_emb_ndim: 256 }) },
];

function cfg(fields: Record<string, unknown>): HRMConfig {
  return validateConfig(fields, 'bench hrm-step');
}

export interface StepTiming {
  medianMs: number;
  /** Median process CPU time per step (user + system). */
  cpuMs: number;
}

export interface HrmStepResult {
  size: string;
  config: Pick<HRMConfig, 'batch_size' | 'seq_len' | 'hidden_size' | 'num_heads' | 'H_layers' | 'L_layers' | 'H_cycles' | 'L_cycles'>;
  /** cpuThreads: the CPU backend with its matrix products on one worker thread per core. */
  ours: { cpu: StepTiming; cpuThreads: StepTiming; webgpu: StepTiming | null };
  torch: { oneThread: StepTiming; allThreads: StepTiming } | null;
  /**
   * Wall time: ours.cpu / torch one thread, ours.cpuThreads and ours.webgpu / torch all threads; CPU time: ours.cpu /
   * torch one thread (both single-threaded, so it stays meaningful on a loaded machine).
   * Lower is better for us.
   */
  ratios: { cpuVsTorch1: number | null; cpuThreadsVsTorchAll: number | null; webgpuVsTorchAll: number | null; cpuTimeVsTorch1: number | null };
}

export interface HrmStepReport {
  benchmark: 'hrm-step';
  cpu: string;
  cores: number;
  loadAverage: number;
  node: string;
  torch: string | null;
  /** OMP_WAIT_POLICY of the PyTorch runs. */
  torchOmpWaitPolicy: string;
  webgpu: string | null;
  steps: number;
  results: HrmStepResult[];
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => +x.toFixed(2);

function randomBatch(config: HRMConfig, seed: number): PuzzleBatch {
  const rng = new Rng(seed);
  const n = config.batch_size * config.seq_len;
  const tokens = () => Int32Array.from({ length: n }, () => rng.int(1, config.vocab_size - 1));
  return { size: config.batch_size, seqLen: config.seq_len, inputs: tokens(), labels: tokens(), puzzleIdentifiers: new Int32Array(config.batch_size) };
}

/**
 * Warm-up steps before the timed ones: the first compiles pipelines and fills the buffer pool;
 * the second lets the gemm worker threads' own JIT catch up (their first step ran cold).
 */
const WARMUP_STEPS = 2;

/** Median time of `steps` training steps after the warm-up steps, on the active backend. */
async function timeOurs(config: HRMConfig, steps: number): Promise<StepTiming> {
  const model = new HRM(config, { seed: 0 });
  const optimizers = { optimizer: new AdamATan2(model.trainableParameters(), { lr: 1e-4, betas: [0.9, 0.95], weightDecay: 1 }), sparse: new SignSGD({ lr: 1e-4, weightDecay: 1 }) };
  const batch = randomBatch(config, 1);
  const rng = new Rng(2);
  let carry = initialCarry(model, config.batch_size);
  const wall: number[] = [];
  const cpu: number[] = [];
  try {
    for (let i = 0; i < WARMUP_STEPS + steps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      carry = (await trainStep(model, optimizers, carry, batch, { lr: 1e-4, puzzleEmbLr: 1e-4, rng })).carry;
      const c = process.cpuUsage(c0);
      if (i < WARMUP_STEPS) continue;
      wall.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  } finally {
    disposeCarry(carry);
    optimizers.optimizer.dispose();
    model.dispose();
  }
  return { medianMs: round(median(wall)), cpuMs: round(median(cpu)) };
}

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
/**
 * OpenMP threads that spin while waiting make multi-threaded PyTorch several times slower than
 * one thread on a busy machine (2.2 s against 0.3 s per s4x4 step, measured at load 8 on 2 cores).
 */
const OMP_WAIT_POLICY = process.env.OMP_WAIT_POLICY ?? 'PASSIVE';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch/hrm_step.py', import.meta.url));

function torchVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** PyTorch timings of every size with `threads` threads, or throws with the subprocess's error. */
function timeTorch(configs: HRMConfig[], threads: number, steps: number): StepTiming[] {
  console.error(`hrm-step: PyTorch with ${threads} thread(s)`);
  const spec = JSON.stringify({ configs, threads, warmup: WARMUP_STEPS, steps });
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, OMP_WAIT_POLICY } });
  if (r.status !== 0) throw new Error(`PyTorch benchmark failed: ${r.stderr || r.error?.message}`);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: StepTiming[] }).results;
}

async function oursOn(backend: 'cpu' | 'cpu-threads' | 'webgpu', sizes: BenchSize[], steps: number): Promise<{ timings: (StepTiming | null)[]; adapter: string | null }> {
  if (backend !== 'webgpu') {
    await setBackend('cpu');
    if (backend === 'cpu-threads') await startCpuThreads(os.availableParallelism());
  } else {
    try {
      await initBackend('webgpu');
    } catch (e) {
      console.error(`hrm-step: no WebGPU timings (${(e as Error).message.split('\n')[0]})`);
      return { timings: sizes.map(() => null), adapter: null };
    }
  }
  const timings: (StepTiming | null)[] = [];
  for (const s of sizes) {
    try {
      console.error(`hrm-step: ${s.name} on our ${backend} backend`);
      timings.push(await timeOurs(s.config, steps));
    } catch (e) {
      if (backend !== 'webgpu') throw e;
      console.error(`hrm-step: no WebGPU timing for ${s.name} (${(e as Error).message.split('\n')[0]})`);
      timings.push(null);
    }
  }
  const adapter = backend === 'webgpu' ? ((getBackend() as { description?: string }).description ?? 'webgpu') : null;
  await stopCpuThreads();
  await setBackend('cpu');
  return { timings, adapter };
}

export async function run(opts: { sizes?: string[]; steps?: number } = {}): Promise<HrmStepReport> {
  const steps = opts.steps ?? 3;
  const sizes = opts.sizes ? SIZES.filter((s) => opts.sizes!.includes(s.name)) : SIZES;
  if (sizes.length === 0) throw new Error(`hrm-step: no sizes selected; known: ${SIZES.map((s) => s.name).join(', ')}`);
  const cpu = await oursOn('cpu', sizes, steps);
  const cpuThreads = await oursOn('cpu-threads', sizes, steps);
  const gpu = await oursOn('webgpu', sizes, steps);
  const torch = torchVersion();
  const configs = sizes.map((s) => s.config);
  const torch1 = torch ? timeTorch(configs, 1, steps) : null;
  const torchAll = torch ? timeTorch(configs, os.cpus().length, steps) : null;
  if (!torch) console.error(`hrm-step: no PyTorch timings (${PYTHON} cannot import torch)`);

  const results = sizes.map((s, i): HrmStepResult => {
    const oursCpu = cpu.timings[i]!;
    const oursThreads = cpuThreads.timings[i]!;
    const oursGpu = gpu.timings[i] ?? null;
    const t = torch1 && torchAll ? { oneThread: torch1[i]!, allThreads: torchAll[i]! } : null;
    const { batch_size, seq_len, hidden_size, num_heads, H_layers, L_layers, H_cycles, L_cycles } = s.config;
    return {
      size: s.name,
      config: { batch_size, seq_len, hidden_size, num_heads, H_layers, L_layers, H_cycles, L_cycles },
      ours: { cpu: oursCpu, cpuThreads: oursThreads, webgpu: oursGpu },
      torch: t,
      ratios: {
        cpuVsTorch1: t ? round(oursCpu.medianMs / t.oneThread.medianMs) : null,
        cpuThreadsVsTorchAll: t ? round(oursThreads.medianMs / t.allThreads.medianMs) : null,
        webgpuVsTorchAll: t && oursGpu ? round(oursGpu.medianMs / t.allThreads.medianMs) : null,
        cpuTimeVsTorch1: t ? round(oursCpu.cpuMs / t.oneThread.cpuMs) : null,
      },
    };
  });
  return {
    benchmark: 'hrm-step',
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverage: os.loadavg()[0]!,
    node: process.version,
    torch,
    torchOmpWaitPolicy: OMP_WAIT_POLICY,
    webgpu: gpu.adapter,
    steps,
    results,
  };
}

function printTable(report: HrmStepReport): void {
  const ms = (t: StepTiming | null | undefined) => (t ? `${t.medianMs} (${t.cpuMs} cpu)` : '-');
  const rows = report.results.map((r) => ({
    size: r.size,
    'B x S x hidden, layers H/L': `${r.config.batch_size} x ${r.config.seq_len} x ${r.config.hidden_size}, ${r.config.H_layers}/${r.config.L_layers}`,
    'ours cpu ms': ms(r.ours.cpu),
    [`ours cpu ${report.cores} threads ms`]: ms(r.ours.cpuThreads),
    'ours webgpu ms': ms(r.ours.webgpu),
    'torch 1 thread ms': ms(r.torch?.oneThread),
    [`torch ${report.cores} threads ms`]: ms(r.torch?.allThreads),
    'cpu / torch1': r.ratios.cpuVsTorch1 ?? '-',
    'cpu threads / torch all': r.ratios.cpuThreadsVsTorchAll ?? '-',
    'webgpu / torch all': r.ratios.webgpuVsTorchAll ?? '-',
    'cpu / torch1 (cpu time)': r.ratios.cpuTimeVsTorch1 ?? '-',
  }));
  console.table(rows);
  console.log(`load average ${report.loadAverage.toFixed(2)} on ${report.cores} cores; torch ${report.torch ?? 'absent'}; webgpu ${report.webgpu ?? 'absent'}`);
}

/** Runs (`--sizes s4x4,h128 --steps N` narrow it), prints the table and writes bench/out/hrm-step.json. */
export async function main(args: string[] = []): Promise<HrmStepReport> {
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' }, steps: { type: 'string' } } });
  const report = await run({
    ...(values.sizes ? { sizes: values.sizes.split(',') } : {}),
    ...(values.steps ? { steps: Number(values.steps) } : {}),
  });
  printTable(report);
  writeReport('hrm-step', report);
  return report;
}

if (isMain(import.meta.url)) await main(process.argv.slice(2));
