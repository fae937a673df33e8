/**
 * CPU matmul benchmark: square f32 products at 256, 512 and 1024 on our CPU backend and on
 * @tensorflow/tfjs-backend-cpu in the same process, single-threaded, median of several runs.
 * Prints a table and a JSON line, and writes the JSON to bench/out/cpu-matmul.json.
 *
 *   npx tsx bench/cpu-matmul.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setBackend } from '@hrm-webgpu/tensor';

const SIZES = [256, 512, 1024];
const WARMUP = 2;
/** Timed runs per size: fewer for the large product so that the whole benchmark stays short. */
const RUNS: Record<number, number> = { 256: 9, 512: 7, 1024: 5 };

export interface MatmulTiming {
  medianMs: number;
  gflops: number;
}

export interface CpuMatmulResult {
  size: number;
  runs: number;
  ours: MatmulTiming;
  tfjsCpu: MatmulTiming;
  /** ours.gflops / tfjsCpu.gflops */
  ratio: number;
}

export interface CpuMatmulReport {
  benchmark: 'cpu-matmul';
  dtype: 'f32';
  cpu: string;
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

/** Median wall time of `runs` timed calls after a warm-up. */
async function time(fn: () => Promise<void>, runs: number): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const timing = (ms: number, n: number): MatmulTiming => ({ medianMs: +ms.toFixed(2), gflops: +((2 * n ** 3) / (ms * 1e6)).toFixed(3) });

async function oursAt(n: number, runs: number): Promise<number> {
  const cpu = await setBackend('cpu');
  const a = cpu.alloc('f32', n * n);
  const b = cpu.alloc('f32', n * n);
  cpu.write(a, randomF32(n * n, 1));
  cpu.write(b, randomF32(n * n, 2));
  const p = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const ms = await time(async () => {
    const c = cpu.matmul(a, b, p);
    await cpu.read(c);
    cpu.free(c);
  }, runs);
  cpu.free(a);
  cpu.free(b);
  return ms;
}

async function tfjsAt(n: number, runs: number): Promise<number> {
  await tf.setBackend('cpu');
  const a = tf.tensor2d(randomF32(n * n, 1), [n, n]);
  const b = tf.tensor2d(randomF32(n * n, 2), [n, n]);
  const ms = await time(async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }, runs);
  a.dispose();
  b.dispose();
  return ms;
}

export async function run(): Promise<CpuMatmulReport> {
  const results: CpuMatmulResult[] = [];
  for (const n of SIZES) {
    const runs = RUNS[n];
    const ours = timing(await oursAt(n, runs), n);
    const tfjsCpu = timing(await tfjsAt(n, runs), n);
    results.push({ size: n, runs, ours, tfjsCpu, ratio: +(ours.gflops / tfjsCpu.gflops).toFixed(2) });
  }
  return { benchmark: 'cpu-matmul', dtype: 'f32', cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, results };
}

function printTable(report: CpuMatmulReport): void {
  console.log(`cpu matmul, f32, square, single thread (${report.cpu}, node ${report.node})`);
  console.log('   size | ours ms | ours GFLOP/s | tfjs-cpu ms | tfjs-cpu GFLOP/s | ratio');
  for (const r of report.results) {
    const cells = [r.size, r.ours.medianMs, r.ours.gflops, r.tfjsCpu.medianMs, r.tfjsCpu.gflops, `${r.ratio}x`];
    const widths = [7, 7, 12, 11, 16, 5];
    console.log(cells.map((c, i) => String(c).padStart(widths[i])).join(' | '));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await run();
  printTable(report);
  const json = JSON.stringify(report);
  console.log(json);
  const outDir = fileURLToPath(new URL('./out/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}cpu-matmul.json`, `${json}\n`);
}
