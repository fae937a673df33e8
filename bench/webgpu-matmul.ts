/**
 * WebGPU matmul benchmark: GFLOP/s of each of our kernel variants and of
 * @tensorflow/tfjs-backend-webgpu 4.22 on the same Dawn adapter, beside PyTorch's CPU matmul
 * (OpenBLAS) on every core in the same run, at square sizes, at the tall-skinny shapes of the
 * HRM training step at hidden 128 (16 x 81 rows; the weight gradient's transposed product too)
 * and at HRM's large projection shapes (64 x 82 rows of hidden 512). Each timed WebGPU run ends
 * with the product read back to the host. Prints a table and JSON (bench/out/webgpu-matmul.json).
 *
 *   npx tsx bench/webgpu-matmul.ts        (HRM_BENCH_QUICK=1: 256^2, 1024^2 and the step's qkv only)
 *
 * PyTorch runs with HRM_TORCH_PYTHON (default /usr/bin/python3) when it can import torch.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMain, machine, medianMs, printTable, writeReport } from './lib/timing.js';

const { backend, engine, randomF32, tfjsWebGpu } = await import('./lib/webgpu.js');
const { MATMUL_VARIANTS, matmul } = await import('../packages/tensor/src/backends/webgpu/kernels/matmul.js');

interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
}

const STEP_ROWS = 16 * 81;
const ALL_SHAPES: Shape[] = [
  ...[256, 512, 1024, 2048].map((s) => ({ label: `${s}^2`, m: s, n: s, k: s })),
  { label: 'step qkv [1296,128]x[128,384]', m: STEP_ROWS, n: 384, k: 128 },
  { label: 'step dW [128,1296]^T..x[1296,384]', m: 128, n: 384, k: STEP_ROWS, transA: true },
  { label: 'HRM qkv [5248,512]x[512,1536]', m: 64 * 82, n: 1536, k: 512 },
  { label: 'HRM down [5248,1536]x[1536,512]', m: 64 * 82, n: 512, k: 1536 },
];
const QUICK = ['256^2', '1024^2', 'step qkv [1296,128]x[128,384]'];
const SHAPES = process.env.HRM_BENCH_QUICK ? ALL_SHAPES.filter((s) => QUICK.includes(s.label)) : ALL_SHAPES;

const PYTHON = process.env.HRM_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('./torch/matmul.py', import.meta.url));

/** PyTorch CPU GFLOP/s per shape on every core (bench/torch/matmul.py, shared with cpu-matmul), or null (with a notice) without torch. */
function torchGflops(shapes: readonly Shape[], runs: number): { version: string; threads: number; gflops: number[] } | null {
  const spec = JSON.stringify({
    shapes: shapes.map((s) => ({ m: s.m, n: s.n, k: s.k, transA: s.transA ?? false, transB: false, runs })),
    threads: os.availableParallelism(),
    warmup: 1,
  });
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, spec], { encoding: 'utf8', env });
  if (r.status !== 0) {
    console.error(`webgpu-matmul: no PyTorch column (${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)})`);
    return null;
  }
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { torch: string; threads: number; results: { medianMs: number }[] };
  const gflops = out.results.map((t, i) => +((2 * shapes[i]!.m * shapes[i]!.n * shapes[i]!.k) / (t.medianMs * 1e6)).toFixed(2));
  return { version: out.torch, threads: out.threads, gflops };
}

/** Fewer timed runs for the long products, so that the whole benchmark stays a few minutes. */
const runsFor = (flop: number) => (flop < 1e9 ? 5 : 3);

export interface MatmulBenchRow {
  shape: string;
  m: number;
  n: number;
  k: number;
  /** GFLOP/s per contender (median of runs, including readback). */
  gflops: Record<string, number>;
  /** Best of our variants over tfjs-webgpu. */
  ratioVsTfjs: number;
  /** Best of our variants over PyTorch on the CPU (every core), when torch is present. */
  ratioVsTorch: number | null;
}

export async function run() {
  const tf = await tfjsWebGpu();
  const rows: MatmulBenchRow[] = [];
  for (const s of SHAPES) {
    const flop = 2 * s.m * s.n * s.k;
    const runs = runsFor(flop);
    const aData = randomF32(s.m * s.k, 1);
    const bData = randomF32(s.k * s.n, 2);
    const a = backend.alloc('f32', s.m * s.k);
    const b = backend.alloc('f32', s.k * s.n);
    backend.write(a, aData);
    backend.write(b, bData);
    const p = { batch: 1, m: s.m, n: s.n, k: s.k, transA: s.transA ?? false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const gflops: Record<string, number> = {};
    for (const variant of MATMUL_VARIANTS) {
      const ms = await medianMs(async () => {
        const c = matmul(engine, a, b, p, variant);
        await engine.read(c);
        engine.release(c);
      }, runs);
      gflops[variant] = +(flop / ms / 1e6).toFixed(2);
    }
    backend.free(a);
    backend.free(b);
    const ta = tf.tensor2d(aData, s.transA ? [s.k, s.m] : [s.m, s.k]);
    const tb = tf.tensor2d(bData, [s.k, s.n]);
    const ms = await medianMs(async () => {
      const c = tf.matMul(ta, tb, s.transA ?? false);
      await c.data();
      c.dispose();
    }, runs);
    gflops['tfjs-webgpu'] = +(flop / ms / 1e6).toFixed(2);
    ta.dispose();
    tb.dispose();
    const best = Math.max(...MATMUL_VARIANTS.map((v) => gflops[v]!));
    rows.push({ shape: s.label, m: s.m, n: s.n, k: s.k, gflops, ratioVsTfjs: +(best / gflops['tfjs-webgpu']!).toFixed(2), ratioVsTorch: null });
  }
  const torch = torchGflops(SHAPES, 5);
  if (torch) {
    rows.forEach((r, i) => {
      r.gflops['pytorch-cpu'] = torch.gflops[i]!;
      r.ratioVsTorch = +(Math.max(...MATMUL_VARIANTS.map((v) => r.gflops[v]!)) / torch.gflops[i]!).toFixed(3);
    });
  }
  return { benchmark: 'webgpu-matmul', adapter: backend.description, torch: torch && `${torch.version}, ${torch.threads} threads`, ...machine(), rows };
}

/** Runs, prints the table and writes bench/out/webgpu-matmul.json. */
export async function main() {
  const report = await run();
  console.log(`WebGPU f32 matmul on ${report.adapter} (${report.cores} cores, load ${report.loadAverage}); GFLOP/s, median, WebGPU incl. readback`);
  console.log(`PyTorch CPU: ${report.torch ?? 'absent'}`);
  printTable(
    ['shape', ...MATMUL_VARIANTS, 'tfjs-webgpu', 'pytorch-cpu', 'best/tfjs', 'best/pytorch'],
    report.rows.map((r) => [
      r.shape,
      ...MATMUL_VARIANTS.map((v) => r.gflops[v]!),
      r.gflops['tfjs-webgpu']!,
      r.gflops['pytorch-cpu'] ?? '-',
      `${r.ratioVsTfjs}x`,
      r.ratioVsTorch === null ? '-' : `${r.ratioVsTorch}x`,
    ]),
  );
  writeReport('webgpu-matmul', report);
  return report;
}

if (isMain(import.meta.url)) {
  await main();
  process.exit(0);
}
