/**
 * CPU matmul benchmark: square f32 products at 256, 512 and 1024 on our CPU backend and on
 * @tensorflow/tfjs-backend-cpu in the same process, median of several runs (the two engines
 * alternate run by run), single-threaded; then ours again with its worker threads (one per core;
 * tfjs-backend-cpu has no threads), against the single-threaded figures of the first pass.
 * Prints a table and a JSON line, and writes the JSON to bench/out/cpu-matmul.json.
 * Besides wall time it records the process's CPU time per run: on a shared, loaded machine the
 * wall-clock figure measures the contention, the CPU-time figure stays close to the unloaded speed.
 *
 *   npx tsx bench/cpu-matmul.ts
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setBackend } from '@hrm-webgpu/tensor';
import { startCpuThreads, stopCpuThreads } from '@hrm-webgpu/tensor/node';
import { isMain, writeReport } from './lib/timing.js';

const SIZES = [256, 512, 1024];
const WARMUP = 2;
/** Timed runs per size: fewer for the large product so that the whole benchmark stays short. */
const RUNS: Record<number, number> = { 256: 9, 512: 7, 1024: 5 };

export interface MatmulTiming {
  medianMs: number;
  gflops: number;
  /** Median CPU time (user + system) of the process per run, and the GFLOP/s it implies. */
  medianCpuMs: number;
  gflopsCpuTime: number;
}

export interface CpuMatmulResult {
  size: number;
  runs: number;
  ours: MatmulTiming;
  tfjsCpu: MatmulTiming;
  /** ours.gflops / tfjsCpu.gflops */
  ratio: number;
  /** Ours on `threads` threads, and its GFLOP/s over tfjs-cpu's. */
  oursThreaded: MatmulTiming;
  threadedRatio: number;
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
  results: CpuMatmulResult[];
}

function randomF32(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gflops = (n: number, ms: number): number => +((2 * n ** 3) / (ms * 1e6)).toFixed(3);

/** One engine's n x n product, set up once: `multiply` runs it to a host-side result. */
interface Contender {
  multiply: () => Promise<void>;
  dispose: () => void;
}

async function ours(n: number): Promise<Contender> {
  const cpu = await setBackend('cpu');
  const a = cpu.alloc('f32', n * n);
  const b = cpu.alloc('f32', n * n);
  cpu.write(a, randomF32(n * n, 1));
  cpu.write(b, randomF32(n * n, 2));
  const p = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  return {
    async multiply() {
      const c = cpu.matmul(a, b, p);
      await cpu.read(c);
      cpu.free(c);
    },
    dispose() {
      cpu.free(a);
      cpu.free(b);
    },
  };
}

async function tfjsCpu(n: number): Promise<Contender> {
  await tf.setBackend('cpu');
  const a = tf.tensor2d(randomF32(n * n, 1), [n, n]);
  const b = tf.tensor2d(randomF32(n * n, 2), [n, n]);
  return {
    async multiply() {
      const c = tf.matMul(a, b);
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

function summary(n: number, wall: number[], cpu: number[]): MatmulTiming {
  const [ms, cpuMs] = [median(wall), median(cpu)];
  return { medianMs: +ms.toFixed(2), gflops: gflops(n, ms), medianCpuMs: +cpuMs.toFixed(2), gflopsCpuTime: gflops(n, cpuMs) };
}

/** Times the engines at size n, alternating run by run so that all see the same machine load. */
async function compareAt(n: number, runs: number, engines: ((n: number) => Promise<Contender>)[]): Promise<MatmulTiming[]> {
  const contenders = await Promise.all(engines.map((engine) => engine(n)));
  for (const c of contenders) for (let i = 0; i < WARMUP; i++) await c.multiply();
  const times = contenders.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < runs; r++) {
    for (const [i, c] of contenders.entries()) {
      const [wall, cpu] = await timeOnce(c.multiply);
      times[i].wall.push(wall);
      times[i].cpu.push(cpu);
    }
  }
  contenders.forEach((c) => c.dispose());
  return times.map((t) => summary(n, t.wall, t.cpu));
}

export async function run(): Promise<CpuMatmulReport> {
  const single: MatmulTiming[][] = [];
  for (const n of SIZES) single.push(await compareAt(n, RUNS[n], [ours, tfjsCpu]));
  const threads = await startCpuThreads(os.availableParallelism());
  const threaded: MatmulTiming[] = [];
  for (const n of SIZES) threaded.push((await compareAt(n, RUNS[n], [ours]))[0]);
  await stopCpuThreads();
  const results = SIZES.map((size, i): CpuMatmulResult => {
    const [oursTiming, tfjsTiming] = single[i];
    const ratio = (t: MatmulTiming) => +(t.gflops / tfjsTiming.gflops).toFixed(2);
    return { size, runs: RUNS[size], ours: oursTiming, tfjsCpu: tfjsTiming, ratio: ratio(oursTiming), oursThreaded: threaded[i], threadedRatio: ratio(threaded[i]) };
  });
  const loadAverage = os.loadavg()[0];
  return { benchmark: 'cpu-matmul', dtype: 'f32', cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, threads, loadAverage, node: process.version, results };
}

function printTable(report: CpuMatmulReport): void {
  console.log(`cpu matmul, f32, square (${report.cpu}, ${report.cores} cores, load ${report.loadAverage.toFixed(1)}, node ${report.node})`);
  console.log(`GFLOP/s from the median wall time, and (in brackets) from the median CPU time; tfjs-cpu is single-threaded`);
  console.log(`   size | ours ms | ours GFLOP/s | tfjs-cpu ms | tfjs-cpu GFLOP/s | ratio | ours ${report.threads} threads ms | GFLOP/s | ratio`);
  for (const r of report.results) {
    const cells = [r.size, r.ours.medianMs, `${r.ours.gflops} (${r.ours.gflopsCpuTime})`, r.tfjsCpu.medianMs, `${r.tfjsCpu.gflops} (${r.tfjsCpu.gflopsCpuTime})`, `${r.ratio}x`, r.oursThreaded.medianMs, r.oursThreaded.gflops, `${r.threadedRatio}x`];
    const widths = [7, 7, 14, 11, 16, 5, 18, 7, 5];
    console.log(cells.map((c, i) => String(c).padStart(widths[i])).join(' | '));
  }
}

/** Runs, prints the table and writes bench/out/cpu-matmul.json. */
export async function main(): Promise<CpuMatmulReport> {
  const report = await run();
  printTable(report);
  writeReport('cpu-matmul', report);
  return report;
}

if (isMain(import.meta.url)) await main();
