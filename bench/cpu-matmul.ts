/**
 * CPU matmul benchmark: f32 products on our CPU backend against PyTorch (its BLAS, OpenBLAS on
 * Debian) on one thread and @tensorflow/tfjs-backend-cpu, in the same run. Shapes: squares at 256,
 * 512 and 1024, and the products an HRM training step at 9x9-Sudoku scale runs (batch 16 x 82
 * positions, hidden 128: the projections, the MLP, their backward transposes, and attention's
 * per-head products).
 *
 * Ours runs three ways: the WebAssembly SIMD kernel on one thread, the same on every core (worker
 * threads), and the plain TypeScript kernel (SIMD switched off, one thread: the fallback, and the
 * figures before the SIMD kernel). The in-process engines alternate run by run so that all see the
 * same load; PyTorch runs in a Python subprocess (HRM_TORCH_PYTHON, default /usr/bin/python3),
 * skipped with a note when it cannot import torch. Besides wall time it records the process's CPU
 * time per run: on a shared, loaded machine the wall-clock figure measures the contention, the
 * CPU-time figure stays close to the unloaded speed, so the ratios use CPU time.
 * Prints a table and a JSON line, and writes the JSON to bench/out/cpu-matmul.json.
 *
 *   node --import tsx --import ./scripts/register-wgsl.mjs bench/cpu-matmul.ts
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpuSimdEnabled, setBackend, setCpuSimd } from '@hrm-webgpu/tensor';
import { startCpuThreads, stopCpuThreads } from '@hrm-webgpu/tensor/node';
import { isMain, machine, median, printTable, writeReport } from './lib/timing.js';

interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] (B [n, k]) and read transposed, as the backward products do. */
  transA: boolean;
  transB: boolean;
}

const shape = (label: string, m: number, k: number, n: number, transA = false, transB = false): Shape => ({ label, m, n, k, transA, transB });

const SHAPES: Shape[] = [
  shape('256²', 256, 256, 256),
  shape('512²', 512, 512, 512),
  shape('1024²', 1024, 1024, 1024),
  shape('qkv [1312,128]x[128,384]', 1312, 128, 384),
  shape('mlp up [1312,128]x[128,1024]', 1312, 128, 1024),
  shape('mlp down [1312,512]x[512,128]', 1312, 512, 128),
  shape('dW qkv Aᵀ [128,1312]x[1312,384]', 128, 1312, 384, true),
  shape('dX qkv [1312,384]x[384,128]ᵀ', 1312, 384, 128, false, true),
  shape('scores [82,32]x[32,82]ᵀ', 82, 32, 82, false, true),
  shape('P·V [82,82]x[82,32]', 82, 82, 32),
];
const WARMUP = 2;
const flops = (s: Shape): number => 2 * s.m * s.n * s.k;
/** Timed runs per shape: about 0.3 GFLOP of ours per shape, between 3 and 200 runs. */
const runsFor = (s: Shape): number => Math.max(3, Math.min(200, Math.round(3e8 / flops(s))));

export interface MatmulTiming {
  medianMs: number;
  gflops: number;
  /** Median CPU time (user + system) of the process per run, and the GFLOP/s it implies. */
  medianCpuMs: number;
  gflopsCpuTime: number;
}

export interface CpuMatmulResult extends Shape {
  runs: number;
  /** Ours: SIMD kernel on 1 thread, on every core, and the TypeScript kernel on 1 thread. */
  ours: MatmulTiming;
  oursThreaded: MatmulTiming;
  oursTypeScript: MatmulTiming;
  tfjsCpu: MatmulTiming;
  /** PyTorch on one thread; null when it is not installed. */
  torch: MatmulTiming | null;
  /** ours.gflopsCpuTime / torch.gflopsCpuTime (CPU time: the machine is shared). */
  oursVsTorch: number | null;
}

export interface CpuMatmulReport {
  benchmark: 'cpu-matmul';
  dtype: 'f32';
  cpu: string;
  cores: number;
  threads: number;
  /** One-minute load average at the end: above the core count, wall-clock figures are contended. */
  loadAverage: number;
  node: string;
  simd: boolean;
  torch: { version: string; blas: string[] } | null;
  results: CpuMatmulResult[];
}

function randomF32(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function timing(s: Shape, wallMs: number, cpuMs: number): MatmulTiming {
  const g = (ms: number) => +(flops(s) / (ms * 1e6)).toFixed(2);
  return { medianMs: +wallMs.toFixed(3), gflops: g(wallMs), medianCpuMs: +cpuMs.toFixed(3), gflopsCpuTime: g(cpuMs) };
}

/** One engine's product, set up once: `multiply` runs it to a host-side result. */
interface Contender {
  multiply: () => Promise<void>;
  dispose: () => void;
}

/** Ours, with the SIMD kernel on or off for the duration of each call. */
function ours(simd: boolean): (s: Shape) => Promise<Contender> {
  return async (s) => {
    const cpu = await setBackend('cpu');
    const a = cpu.alloc('f32', s.m * s.k);
    const b = cpu.alloc('f32', s.k * s.n);
    cpu.write(a, randomF32(s.m * s.k, 1));
    cpu.write(b, randomF32(s.k * s.n, 2));
    const p = { batch: 1, m: s.m, n: s.n, k: s.k, transA: s.transA, transB: s.transB, aBatchStride: 0, bBatchStride: 0 };
    return {
      async multiply() {
        setCpuSimd(simd);
        const c = cpu.matmul(a, b, p);
        await cpu.read(c);
        cpu.free(c);
        setCpuSimd(null);
      },
      dispose() {
        cpu.free(a);
        cpu.free(b);
      },
    };
  };
}

async function tfjsCpu(s: Shape): Promise<Contender> {
  await tf.setBackend('cpu');
  const a = tf.tensor2d(randomF32(s.m * s.k, 1), s.transA ? [s.k, s.m] : [s.m, s.k]);
  const b = tf.tensor2d(randomF32(s.k * s.n, 2), s.transB ? [s.n, s.k] : [s.k, s.n]);
  return {
    async multiply() {
      const c = tf.matMul(a, b, s.transA, s.transB);
      await c.data();
      c.dispose();
    },
    dispose() {
      a.dispose();
      b.dispose();
    },
  };
}

/** Wall and CPU milliseconds of one call. */
async function timeOnce(fn: () => Promise<void>): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [wall, (c.user + c.system) / 1000];
}

/** Times the engines on one shape, alternating run by run so that all see the same machine load. */
async function compare(s: Shape, engines: ((s: Shape) => Promise<Contender>)[]): Promise<MatmulTiming[]> {
  const contenders = await Promise.all(engines.map((engine) => engine(s)));
  for (const c of contenders) for (let i = 0; i < WARMUP; i++) await c.multiply();
  const times = contenders.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < runsFor(s); r++) {
    for (const [i, c] of contenders.entries()) {
      const [wall, cpu] = await timeOnce(c.multiply);
      times[i]!.wall.push(wall);
      times[i]!.cpu.push(cpu);
    }
  }
  contenders.forEach((c) => c.dispose());
  return times.map((t) => timing(s, median(t.wall), median(t.cpu)));
}

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch/matmul.py', import.meta.url));

/** PyTorch on one thread for every shape, or null (with the reason on stderr) when it cannot run. */
function timeTorch(): { version: string; blas: string[]; timings: MatmulTiming[] } | null {
  // Its runs are cheap: more of them steady its medians on a loaded machine.
  const spec = JSON.stringify({ shapes: SHAPES.map((s) => ({ ...s, runs: Math.max(10, 5 * runsFor(s)) })), threads: 1, warmup: WARMUP });
  // Debian's OpenBLAS (pthreads build) keeps its own thread pool, which torch.set_num_threads does not limit.
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, spec], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) {
    console.error(`cpu-matmul: no PyTorch figures (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)})`);
    return null;
  }
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { torch: string; blas: string[]; results: { medianMs: number; medianCpuMs: number }[] };
  return { version: out.torch, blas: out.blas, timings: out.results.map((t, i) => timing(SHAPES[i]!, t.medianMs, t.medianCpuMs)) };
}

export async function run(): Promise<CpuMatmulReport> {
  const single: MatmulTiming[][] = [];
  for (const s of SHAPES) {
    console.error(`cpu-matmul: ${s.label}, one thread`);
    single.push(await compare(s, [ours(true), ours(false), tfjsCpu]));
  }
  const threads = await startCpuThreads(os.availableParallelism());
  const threaded: MatmulTiming[] = [];
  for (const s of SHAPES) threaded.push((await compare(s, [ours(true)]))[0]!);
  await stopCpuThreads();
  console.error('cpu-matmul: PyTorch, one thread');
  const torch = timeTorch();
  const results = SHAPES.map((s, i): CpuMatmulResult => {
    const [simd, typeScript, tfjs] = single[i]!;
    const t = torch?.timings[i] ?? null;
    const vsTorch = t ? +(simd!.gflopsCpuTime / t.gflopsCpuTime).toFixed(3) : null;
    return { ...s, runs: runsFor(s), ours: simd!, oursThreaded: threaded[i]!, oursTypeScript: typeScript!, tfjsCpu: tfjs!, torch: t, oursVsTorch: vsTorch };
  });
  const { cpu, cores, loadAverage, node } = machine();
  const torchInfo = torch ? { version: torch.version, blas: torch.blas } : null;
  return { benchmark: 'cpu-matmul', dtype: 'f32', cpu, cores, threads, loadAverage, node, simd: cpuSimdEnabled(), torch: torchInfo, results };
}

function print(report: CpuMatmulReport): void {
  const blas = report.torch ? `PyTorch ${report.torch.version} on ${report.torch.blas.map((p) => p.split('/').at(-1)).join(', ')}` : 'no PyTorch';
  console.log(
    `cpu matmul, f32 (${report.cpu}, ${report.cores} cores, load ${report.loadAverage}, node ${report.node}, SIMD ${report.simd ? 'on' : 'unavailable'}, ${blas})`,
  );
  console.log('GFLOP/s from the median CPU time (from the median wall time in brackets); all single-threaded but "ours N threads"');
  const cell = (t: MatmulTiming | null) => (t ? `${t.gflopsCpuTime} (${t.gflops})` : '-');
  printTable(
    ['shape', 'ours SIMD', `ours ${report.threads} threads`, 'ours TypeScript', 'tfjs-cpu', 'PyTorch', 'ours/PyTorch'],
    report.results.map((r) => [
      r.label,
      cell(r.ours),
      cell(r.oursThreaded),
      cell(r.oursTypeScript),
      cell(r.tfjsCpu),
      cell(r.torch),
      r.oursVsTorch === null ? '-' : `${(100 * r.oursVsTorch).toFixed(0)}%`,
    ]),
  );
}

/** Runs, prints the table and writes bench/out/cpu-matmul.json. */
export async function main(): Promise<CpuMatmulReport> {
  const report = await run();
  print(report);
  writeReport('cpu-matmul', report);
  return report;
}

if (isMain(import.meta.url)) await main();
