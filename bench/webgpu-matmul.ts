/**
 * WebGPU matmul benchmark: GFLOP/s of each of our kernel variants and of
 * @tensorflow/tfjs-backend-webgpu 4.22 on the same Dawn adapter, at square sizes and at HRM's
 * projection shapes (batch 64 x seq 82 rows of hidden 512). Each timed run ends with the product
 * read back to the host. Prints a table and JSON (bench/out/webgpu-matmul.json).
 *
 *   npx tsx bench/webgpu-matmul.ts
 */
import { isMain, machine, medianMs, printTable, writeReport } from './lib/timing.js';

const { backend, engine, randomF32, tfjsWebGpu } = await import('./lib/webgpu.js');
const { MATMUL_VARIANTS, matmul } = await import('../packages/tensor/src/backends/webgpu/kernels/matmul.js');

interface Shape {
  label: string;
  m: number;
  n: number;
  k: number;
}

const SHAPES: Shape[] = [
  ...[256, 512, 1024, 2048].map((s) => ({ label: `${s}^2`, m: s, n: s, k: s })),
  { label: 'HRM qkv [5248,512]x[512,1536]', m: 64 * 82, n: 1536, k: 512 },
  { label: 'HRM down [5248,1536]x[1536,512]', m: 64 * 82, n: 512, k: 1536 },
];

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
    const p = { batch: 1, m: s.m, n: s.n, k: s.k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
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
    const ta = tf.tensor2d(aData, [s.m, s.k]);
    const tb = tf.tensor2d(bData, [s.k, s.n]);
    const ms = await medianMs(async () => {
      const c = tf.matMul(ta, tb);
      await c.data();
      c.dispose();
    }, runs);
    gflops['tfjs-webgpu'] = +(flop / ms / 1e6).toFixed(2);
    ta.dispose();
    tb.dispose();
    const best = Math.max(...MATMUL_VARIANTS.map((v) => gflops[v]!));
    rows.push({ shape: s.label, m: s.m, n: s.n, k: s.k, gflops, ratioVsTfjs: +(best / gflops['tfjs-webgpu']!).toFixed(2) });
  }
  return { benchmark: 'webgpu-matmul', adapter: backend.description, ...machine(), rows };
}

/** Runs, prints the table and writes bench/out/webgpu-matmul.json. */
export async function main() {
  const report = await run();
  console.log(`WebGPU f32 matmul on ${report.adapter} (${report.cores} cores, load ${report.loadAverage}); GFLOP/s, median, incl. readback`);
  printTable(
    ['shape', ...MATMUL_VARIANTS, 'tfjs-webgpu', 'best/tfjs'],
    report.rows.map((r) => [r.shape, ...MATMUL_VARIANTS.map((v) => r.gflops[v]!), r.gflops['tfjs-webgpu']!, `${r.ratioVsTfjs}x`]),
  );
  writeReport('webgpu-matmul', report);
  return report;
}

if (isMain(import.meta.url)) {
  await main();
  process.exit(0);
}
