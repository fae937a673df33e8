/**
 * Front-end overhead per op: a chain of ops on 2x2 tensors (so the kernels cost next to nothing)
 * with a backward pass, timed per forward op (its share of the backward included), on our CPU
 * backend and in PyTorch eager mode on the CPU (bench/torch/front_end.py, one thread) in the same
 * run. What it measures is the engine's bookkeeping: tensor objects, shape checks, the autodiff
 * tape and walk, memory scopes. Prints a table and JSON (bench/out/front-end.json).
 *
 *   node --import tsx bench/front-end.ts
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { add, exp, matmul, mul, reshape, setBackend, sum, tensor, tidy } from '@hrm-webgpu/tensor';
import { isMain, machine, median, printTable, writeReport } from './lib/timing.js';

/** Ops per link of the chain: matmul, mul by a number, exp, reshape, add. */
const OPS_PER_LINK = 5;
const LINKS = 50;
const REPEATS = 400;
const RUNS = 5;

export interface PerOp {
  /** Median microseconds of wall time per forward op. */
  wallUs: number;
  /** Median microseconds of process CPU time per forward op. */
  cpuUs: number;
}

export interface FrontEndReport extends ReturnType<typeof machine> {
  benchmark: 'front-end';
  opsPerStep: number;
  ours: PerOp;
  torch: (PerOp & { version: string }) | null;
  /** Ours / PyTorch (lower is better for us). */
  ratios: { wall: number | null; cpu: number | null };
}

function oursPerOp(): PerOp {
  const w = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  );
  const x = tensor([
    [0.1, 0],
    [0, 0.1],
  ]);
  const step = () => {
    tidy(() => {
      let h = x;
      for (let i = 0; i < LINKS; i++) h = add(mul(matmul(h, w), 0.01), reshape(exp(h), [2, 2]));
      sum(h).backward();
    });
    w.grad?.dispose();
    w.grad = null;
  };
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = -1; run < RUNS; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < REPEATS; i++) step();
    const c = process.cpuUsage(c0);
    if (run < 0) continue; // warm-up
    const ops = REPEATS * LINKS * OPS_PER_LINK;
    wall.push(((performance.now() - t0) * 1000) / ops);
    cpu.push((c.user + c.system) / ops);
  }
  w.dispose();
  x.dispose();
  return { wallUs: +median(wall).toFixed(2), cpuUs: +median(cpu).toFixed(2) };
}

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch/front_end.py', import.meta.url));

function torchPerOp(): (PerOp & { version: string }) | null {
  const spec = JSON.stringify({ links: LINKS, opsPerLink: OPS_PER_LINK, repeats: REPEATS, runs: RUNS });
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, spec], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) {
    console.error(`front-end: no PyTorch figures (${r.error?.message ?? r.stderr.trim().split('\n').at(-1)})`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as PerOp & { version: string };
}

export async function run(): Promise<FrontEndReport> {
  await setBackend('cpu');
  const ours = oursPerOp();
  const torch = torchPerOp();
  const ratio = (a: number, b: number | undefined) => (b ? +(a / b).toFixed(2) : null);
  return {
    benchmark: 'front-end',
    ...machine(),
    opsPerStep: LINKS * OPS_PER_LINK,
    ours,
    torch,
    ratios: { wall: ratio(ours.wallUs, torch?.wallUs), cpu: ratio(ours.cpuUs, torch?.cpuUs) },
  };
}

export async function main(): Promise<FrontEndReport> {
  const report = await run();
  printTable(
    ['engine', 'us per op (wall)', 'us per op (cpu)'],
    [
      ['ours (cpu backend)', report.ours.wallUs, report.ours.cpuUs],
      [`pytorch ${report.torch?.version ?? '(absent)'}`, report.torch?.wallUs ?? '-', report.torch?.cpuUs ?? '-'],
      ['ours / pytorch', report.ratios.wall ?? '-', report.ratios.cpu ?? '-'],
    ],
  );
  console.log(`load average ${report.loadAverage} on ${report.cores} cores`);
  writeReport('front-end', report);
  return report;
}

if (isMain(import.meta.url)) await main();
