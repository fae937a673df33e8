/**
 * HRM training-step benchmark: one step = one ACT segment with the 1-step gradient (and the
 * bootstrapped Q-continue pass), the loss, backward, AdamATan2 on the parameters and SignSGD on
 * the puzzle rows, on a random batch, carry kept between steps as in training. Measured on our CPU
 * backend (one thread, then its matrix products on every core), our WebGPU backend (when an
 * adapter exists) and PyTorch on the CPU (the reference model of test/fidelity, in a Python
 * subprocess, one thread and every core), with ratios of wall and CPU time. The CPU timings run in
 * rounds (default 3), ours and PyTorch's alternating, and the medians over the rounds are reported,
 * so that a change in the shared machine's load falls on both sides. Then N more steps per
 * size run on our CPU backend (one thread) under profile(), broken down by op family in CPU time.
 * Prints tables and writes the JSON to bench/out/hrm-step.json.
 *
 *   node --import tsx --import ./scripts/register-wgsl.mjs bench/hrm-step.ts [--sizes demo,h64,h128] [--steps N] [--rounds R] [--no-webgpu]
 *
 * Sizes: `h64` and `h128` are the two models of the CPU-speed target (batch 16, cycles 2x2, layers
 * 2+2, 4 heads; hidden 64 at 4x4-Sudoku scale, hidden 128 at 9x9 scale), `demo` the demo's model;
 * `h256` runs only when named. PyTorch runs with HRM_TORCH_PYTHON (default /usr/bin/python3) when
 * it can import torch, with OMP_WAIT_POLICY=PASSIVE unless set and its BLAS limited to the same threads. Wall times on a shared machine
 * measure the contention too: CPU times are recorded beside them.
 */
import { spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getBackend, profile, setBackend, type ProfileReport } from '@hrm-webgpu/tensor';
import { initBackend, startCpuThreads, stopCpuThreads } from '@hrm-webgpu/tensor/node';
import { type HRMConfig, demoSudoku4x4Config, validateConfig } from '@hrm-webgpu/hrm';
import { DEMO_ARCH, DEMO_TRAINING } from '../packages/hrm/src/presets.js';
import { isMain, writeReport } from './lib/timing.js';
import { withTrainer } from './lib/train-step.js';

interface BenchSize {
  name: string;
  config: HRMConfig;
  /** Run without being named in --sizes. */
  byDefault: boolean;
}

const target = {
  batch_size: 16,
  H_cycles: 2,
  L_cycles: 2,
  H_layers: 2,
  L_layers: 2,
  num_heads: 4,
  expansion: 4,
  num_puzzle_identifiers: 1,
  pos_encodings: 'rope',
  halt_max_steps: 16,
  halt_exploration_prob: 0.1,
};
const SIZES: BenchSize[] = [
  { name: 'demo', config: demoSudoku4x4Config({ ...DEMO_ARCH, batch_size: DEMO_TRAINING.global_batch_size }), byDefault: true },
  { name: 'h64', config: cfg({ ...target, seq_len: 16, vocab_size: 6, hidden_size: 64, puzzle_emb_ndim: 64 }), byDefault: true },
  { name: 'h128', config: cfg({ ...target, seq_len: 81, vocab_size: 11, hidden_size: 128, puzzle_emb_ndim: 128 }), byDefault: true },
  { name: 'h256', config: cfg({ ...target, seq_len: 81, vocab_size: 11, hidden_size: 256, puzzle_emb_ndim: 256 }), byDefault: false },
];

function cfg(fields: Record<string, unknown>): HRMConfig {
  return validateConfig(fields, 'bench hrm-step');
}

export interface StepTiming {
  medianMs: number;
  /** Median process CPU time per step (user + system). */
  cpuMs: number;
}

/** Process CPU time of one step on the CPU backend (one thread) by op family, from profile(). */
export interface StepBreakdown {
  cpuMs: number;
  /** CPU milliseconds per op family; they add up to cpuMs. */
  families: Record<Family, number>;
  /** Garbage-collector pauses during the step (wall time), wherever they fell (already inside the families). */
  gcMs: number;
  /** Calls and CPU milliseconds per kernel and step. */
  kernels: ProfileReport<unknown>['kernels'];
}

export interface HrmStepResult {
  size: string;
  config: Pick<HRMConfig, 'batch_size' | 'seq_len' | 'hidden_size' | 'num_heads' | 'H_layers' | 'L_layers' | 'H_cycles' | 'L_cycles'>;
  /** cpuThreads: the CPU backend with its matrix products on one worker thread per core. */
  ours: { cpu: StepTiming; cpuThreads: StepTiming; webgpu: StepTiming | null };
  torch: { oneThread: StepTiming; allThreads: StepTiming } | null;
  /**
   * Ours / PyTorch, lower is better for us: wall time (cpu against torch on one thread,
   * cpuThreads and webgpu against torch on every core) and process CPU time (the same pairs); the
   * CPU ones are the median of the rounds' ratios.
   */
  /** Each round's timings, in the order they ran (ours on one thread, PyTorch on one, ours on every core, PyTorch on every core). */
  perRound: { cpu: StepTiming; cpuThreads: StepTiming; torch1: StepTiming | null; torchAll: StepTiming | null }[];
  ratios: {
    cpuVsTorch1: number | null;
    cpuThreadsVsTorchAll: number | null;
    webgpuVsTorchAll: number | null;
    cpuTimeVsTorch1: number | null;
    cpuThreadsCpuTimeVsTorchAll: number | null;
  };
  breakdown: StepBreakdown;
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
  /** Rounds of ours and PyTorch's CPU timings, alternating; timings and ratios are medians over them. */
  rounds: number;
  results: HrmStepResult[];
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => +x.toFixed(2);

/**
 * Warm-up steps before the timed ones: the first compiles pipelines and fills the buffer pool;
 * the second lets the gemm worker threads' own JIT catch up (their first step ran cold).
 */
const WARMUP_STEPS = 2;

/** Median time of `steps` training steps after the warm-up steps, on the active backend. */
function timeOurs(config: HRMConfig, steps: number): Promise<StepTiming> {
  return withTrainer(config, async (step) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < WARMUP_STEPS + steps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await step();
      const c = process.cpuUsage(c0);
      if (i < WARMUP_STEPS) continue;
      wall.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
    return { medianMs: round(median(wall)), cpuMs: round(median(cpu)) };
  });
}

export const FAMILIES = [
  'matmul',
  'attention',
  'elementwise',
  'reductions',
  'norms/rows',
  'movement/indexing',
  'creation/upload',
  'optimiser',
  'autodiff bookkeeping',
  'front end outside kernels',
] as const;
export type Family = (typeof FAMILIES)[number];

/** The op family of a CPU kernel name as profile() reports it (`binary.add`, `rmsNorm`, ...). */
function familyOf(kernel: string): Family {
  const method = kernel.split('.')[0]!;
  if (method === 'matmul') return 'matmul';
  if (/^(attention|packedAttention|rope)/.test(method)) return 'attention';
  if (['unary', 'binary', 'where', 'cast'].includes(method)) return 'elementwise';
  if (method === 'reduce') return 'reductions';
  if (/^(rmsNorm|softmax|logSoftmax|swiglu|crossEntropy)/.test(method)) return 'norms/rows';
  if (['stridedCopy', 'copyRegion', 'gather', 'scatterAdd'].includes(method)) return 'movement/indexing';
  if (['alloc', 'fill', 'write'].includes(method)) return 'creation/upload';
  if (/Update$|^signSgd/.test(method)) return 'optimiser';
  throw new Error(`hrm-step: no op family for kernel ${kernel}; add it to familyOf`);
}

/** Process CPU time in milliseconds: the work, not the waiting, on a shared machine. */
const cpuClock = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * `steps` training steps (after the warm-up) under profile() on the CPU backend, timed in process
 * CPU time, per step on average: kernel time by family, the autodiff walk's own time (backward()
 * less its kernels), and the rest of the step, spent in the front end between kernels (tensor
 * objects, shape checks, tidy scopes, GC).
 */
function breakdownOfStep(config: HRMConfig, steps: number): Promise<StepBreakdown> {
  return withTrainer(config, async (step) => {
    for (let i = 0; i < WARMUP_STEPS; i++) await step();
    let gcMs = 0;
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    });
    gc.observe({ entryTypes: ['gc'] });
    const report = await profile(
      async () => {
        for (let i = 0; i < steps; i++) await step();
      },
      { clock: cpuClock },
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // GC entries arrive on a later turn
    gc.disconnect();
    const families = Object.fromEntries(FAMILIES.map((f) => [f, 0])) as Record<Family, number>;
    for (const [name, k] of Object.entries(report.kernels)) families[familyOf(name)] += k.ms;
    const kernelMs = Object.values(report.kernels).reduce((s, k) => s + k.ms, 0);
    families['autodiff bookkeeping'] = report.autodiff.ms - (report.autodiff.kernelMs ?? 0);
    families['front end outside kernels'] = report.totalMs - kernelMs - families['autodiff bookkeeping'];
    const perStep = Object.fromEntries(FAMILIES.map((f) => [f, round(families[f] / steps)])) as Record<Family, number>;
    const kernels = Object.fromEntries(
      Object.entries(report.kernels).map(([name, k]) => [name, { dispatches: k.dispatches / steps, ms: round(k.ms / steps) }]),
    );
    return { cpuMs: round(report.totalMs / steps), families: perStep, gcMs: round(gcMs / steps), kernels };
  });
}

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
/**
 * OpenMP threads that spin while waiting make multi-threaded PyTorch several times slower than
 * one thread on a busy machine (2.2 s against 0.3 s per step, measured at load 8 on 2 cores).
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
  // torch.set_num_threads does not reach OpenBLAS's own pthreads (Debian's PyTorch calls the system
  // BLAS): without OPENBLAS_NUM_THREADS a "1 thread" run used both cores for its products.
  const threadEnv = { OMP_WAIT_POLICY, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, ...threadEnv } });
  if (r.status !== 0) throw new Error(`PyTorch benchmark failed: ${r.stderr || r.error?.message}`);
  return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: StepTiming[] }).results;
}

async function oursOn(
  backend: 'cpu' | 'cpu-threads' | 'webgpu',
  sizes: BenchSize[],
  steps: number,
): Promise<{ timings: (StepTiming | null)[]; adapter: string | null }> {
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

const ratio = (ours: number | undefined, torch: number | undefined): number | null => (ours !== undefined && torch !== undefined ? round(ours / torch) : null);

/** Our CPU timings (one thread, every core) and PyTorch's (the same) of one round, per size. */
interface Round {
  cpu: StepTiming[];
  cpuThreads: StepTiming[];
  torch1: StepTiming[] | null;
  torchAll: StepTiming[] | null;
}

/** One round, ours and PyTorch's alternating, so that a change in the machine's load falls on both. */
async function cpuRound(sizes: BenchSize[], steps: number, torch: boolean): Promise<Round> {
  const configs = sizes.map((s) => s.config);
  const cpu = (await oursOn('cpu', sizes, steps)).timings as StepTiming[];
  const torch1 = torch ? timeTorch(configs, 1, steps) : null;
  const cpuThreads = (await oursOn('cpu-threads', sizes, steps)).timings as StepTiming[];
  const torchAll = torch ? timeTorch(configs, os.cpus().length, steps) : null;
  return { cpu, cpuThreads, torch1, torchAll };
}

/** The median over rounds of a timing (wall and CPU time separately). */
const medianTiming = (ts: StepTiming[]): StepTiming => ({ medianMs: round(median(ts.map((t) => t.medianMs))), cpuMs: round(median(ts.map((t) => t.cpuMs))) });

/** The median over rounds of the per-round ratio ours / torch (null without PyTorch). */
function medianRatio(rounds: Round[], ours: (r: Round) => StepTiming, torch: (r: Round) => StepTiming | undefined, field: keyof StepTiming): number | null {
  const ratios = rounds.flatMap((r) => {
    const t = torch(r);
    return t ? [ours(r)[field] / t[field]] : [];
  });
  return ratios.length ? round(median(ratios)) : null;
}

export async function run(opts: { sizes?: string[]; steps?: number; rounds?: number; webgpu?: boolean } = {}): Promise<HrmStepReport> {
  const steps = opts.steps ?? 3;
  const roundCount = opts.rounds ?? 3;
  const sizes = opts.sizes ? SIZES.filter((s) => opts.sizes!.includes(s.name)) : SIZES.filter((s) => s.byDefault);
  if (sizes.length === 0) throw new Error(`hrm-step: no sizes selected; known: ${SIZES.map((s) => s.name).join(', ')}`);
  const torch = torchVersion();
  if (!torch) console.error(`hrm-step: no PyTorch timings (${PYTHON} cannot import torch)`);
  const rounds: Round[] = [];
  for (let r = 0; r < roundCount; r++) {
    console.error(`hrm-step: round ${r + 1} of ${roundCount}`);
    rounds.push(await cpuRound(sizes, steps, torch !== null));
  }
  const breakdowns: StepBreakdown[] = [];
  for (const s of sizes) {
    console.error(`hrm-step: ${s.name} breakdown on our cpu backend`);
    breakdowns.push(await breakdownOfStep(s.config, steps));
  }
  const gpu = opts.webgpu === false ? { timings: sizes.map(() => null), adapter: null } : await oursOn('webgpu', sizes, steps);
  const torchAllLast = rounds.at(-1)!.torchAll;

  const results = sizes.map((s, i): HrmStepResult => {
    const pick = (get: (r: Round) => StepTiming[] | null) => medianTiming(rounds.map((r) => get(r)![i]!));
    const oursGpu = gpu.timings[i] ?? null;
    const t = torch ? { oneThread: pick((r) => r.torch1), allThreads: pick((r) => r.torchAll) } : null;
    const cpu1 = (r: Round) => r.cpu[i]!;
    const cpuN = (r: Round) => r.cpuThreads[i]!;
    const torch1 = (r: Round) => r.torch1?.[i];
    const torchN = (r: Round) => r.torchAll?.[i];
    const { batch_size, seq_len, hidden_size, num_heads, H_layers, L_layers, H_cycles, L_cycles } = s.config;
    return {
      size: s.name,
      config: { batch_size, seq_len, hidden_size, num_heads, H_layers, L_layers, H_cycles, L_cycles },
      ours: { cpu: pick((r) => r.cpu), cpuThreads: pick((r) => r.cpuThreads), webgpu: oursGpu },
      torch: t,
      ratios: {
        cpuVsTorch1: medianRatio(rounds, cpu1, torch1, 'medianMs'),
        cpuThreadsVsTorchAll: medianRatio(rounds, cpuN, torchN, 'medianMs'),
        // WebGPU runs once, after the rounds: against the last round's PyTorch.
        webgpuVsTorchAll: ratio(oursGpu?.medianMs, torchAllLast?.[i]?.medianMs),
        cpuTimeVsTorch1: medianRatio(rounds, cpu1, torch1, 'cpuMs'),
        cpuThreadsCpuTimeVsTorchAll: medianRatio(rounds, cpuN, torchN, 'cpuMs'),
      },
      perRound: rounds.map((r) => ({ cpu: r.cpu[i]!, cpuThreads: r.cpuThreads[i]!, torch1: r.torch1?.[i] ?? null, torchAll: r.torchAll?.[i] ?? null })),
      breakdown: breakdowns[i]!,
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
    rounds: roundCount,
    results,
  };
}

function printTables(report: HrmStepReport): void {
  const ms = (t: StepTiming | null | undefined) => (t ? `${t.medianMs} (${t.cpuMs} cpu)` : '-');
  const n = report.cores;
  console.table(
    report.results.map((r) => ({
      size: r.size,
      'B x S x hidden, layers H/L': `${r.config.batch_size} x ${r.config.seq_len} x ${r.config.hidden_size}, ${r.config.H_layers}/${r.config.L_layers}`,
      'ours cpu ms': ms(r.ours.cpu),
      [`ours cpu ${n} threads ms`]: ms(r.ours.cpuThreads),
      'ours webgpu ms': ms(r.ours.webgpu),
      'torch 1 thread ms': ms(r.torch?.oneThread),
      [`torch ${n} threads ms`]: ms(r.torch?.allThreads),
      'cpu / torch1 wall (cpu time)': `${r.ratios.cpuVsTorch1 ?? '-'} (${r.ratios.cpuTimeVsTorch1 ?? '-'})`,
      [`cpu ${n}T / torch ${n}T wall (cpu time)`]: `${r.ratios.cpuThreadsVsTorchAll ?? '-'} (${r.ratios.cpuThreadsCpuTimeVsTorchAll ?? '-'})`,
      [`webgpu / torch ${n}T`]: r.ratios.webgpuVsTorchAll ?? '-',
    })),
  );
  console.log(
    `medians over ${report.rounds} rounds (ours and PyTorch alternating; ratios: median of the rounds' ratios); load average ${report.loadAverage.toFixed(2)} on ${report.cores} cores; torch ${report.torch ?? 'absent'}; webgpu ${report.webgpu ?? 'absent'}`,
  );
  console.log(`\nOne training step on our CPU backend (one thread) by op family, CPU ms per step over ${report.steps} steps (share of the step):`);
  console.table(
    Object.fromEntries(
      [...FAMILIES, 'total', 'of which GC pauses (wall)'].map((f) => [
        f,
        Object.fromEntries(
          report.results.map((r) => {
            const b = r.breakdown;
            const v = f === 'total' ? b.cpuMs : f === 'of which GC pauses (wall)' ? b.gcMs : b.families[f as Family];
            return [r.size, `${v.toFixed(1)} (${((100 * v) / b.cpuMs).toFixed(1)}%)`];
          }),
        ),
      ]),
    ),
  );
}

/** Runs (`--sizes h64,h128 --steps N --rounds R --no-webgpu` narrow it), prints the tables and writes bench/out/hrm-step.json. */
export async function main(args: string[] = []): Promise<HrmStepReport> {
  const { values } = parseArgs({
    args,
    options: { sizes: { type: 'string' }, steps: { type: 'string' }, rounds: { type: 'string' }, 'no-webgpu': { type: 'boolean' } },
  });
  const report = await run({
    ...(values.sizes ? { sizes: values.sizes.split(',') } : {}),
    ...(values.steps ? { steps: Number(values.steps) } : {}),
    ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    ...(values['no-webgpu'] ? { webgpu: false } : {}),
  });
  printTables(report);
  writeReport('hrm-step', report);
  return report;
}

if (isMain(import.meta.url)) await main(process.argv.slice(2));
