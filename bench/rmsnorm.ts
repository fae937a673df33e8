/**
 * RMSNorm bandwidth at HRM's activation shape (batch 64 x seq 82 rows, hidden 512): our fused
 * forward and backward kernels in GB/s (bytes read + written over the median time), beside
 * tfjs-backend-webgpu 4.22 composing the forward from its ops on the same Dawn adapter. Each timed
 * run queues REPEAT passes and reads back the last one's output, so the sync is included but one
 * 10 MB readback does not swamp the kernel time. Prints a table and JSON (bench/out/rmsnorm.json).
 *
 *   npx tsx bench/rmsnorm.ts
 */
import { isMain, machine, medianMs, printTable, writeReport } from './lib/timing.js';

const { backend, engine, randomF32, tfjsWebGpu } = await import('./lib/webgpu.js');
const { rmsNorm, rmsNormBackward } = await import('../packages/tensor/src/backends/webgpu/kernels/norm.js');

const ROWS = 64 * 82;
const COLS = 512;
const EPS = 1e-5;
const RUNS = 5;
const REPEAT = 10;

export async function run() {
  const n = ROWS * COLS;
  const xData = randomF32(n, 1);
  const x = backend.alloc('f32', n);
  const dy = backend.alloc('f32', n);
  backend.write(x, xData);
  backend.write(dy, randomF32(n, 2));
  const saved = rmsNorm(engine, x, ROWS, COLS, EPS);

  const forwardMs = await medianMs(async () => {
    for (let i = 0; i < REPEAT; i++) {
      const { y, invRms } = rmsNorm(engine, x, ROWS, COLS, EPS);
      if (i === REPEAT - 1) await engine.read(y);
      engine.release(y);
      engine.release(invRms);
    }
  }, RUNS);
  const backwardMs = await medianMs(async () => {
    for (let i = 0; i < REPEAT; i++) {
      const dx = rmsNormBackward(engine, dy, x, saved.invRms, ROWS, COLS);
      if (i === REPEAT - 1) await engine.read(dx);
      engine.release(dx);
    }
  }, RUNS);
  [x, dy, saved.y, saved.invRms].forEach((s) => engine.release(s));

  const tf = await tfjsWebGpu();
  const tx = tf.tensor2d(xData, [ROWS, COLS]);
  const tfjsMs = await medianMs(async () => {
    for (let i = 0; i < REPEAT; i++) {
      const y = tf.tidy(() => tf.mul(tx, tf.rsqrt(tf.add(tf.mean(tf.square(tx), -1, true), EPS))));
      if (i === REPEAT - 1) await y.data();
      y.dispose();
    }
  }, RUNS);
  tx.dispose();

  // Forward reads x and writes y (plus 1/rms per row); backward reads dy, x, 1/rms and writes dx.
  const forwardBytes = REPEAT * (2 * n * 4 + ROWS * 4);
  const backwardBytes = REPEAT * (3 * n * 4 + ROWS * 4);
  const gbps = (bytes: number, ms: number) => +(bytes / ms / 1e6).toFixed(2);
  return {
    benchmark: 'rmsnorm',
    passesPerRun: REPEAT,
    adapter: backend.description,
    ...machine(),
    rows: ROWS,
    cols: COLS,
    medianMs: { forward: +forwardMs.toFixed(2), backward: +backwardMs.toFixed(2), tfjsWebgpuForward: +tfjsMs.toFixed(2) },
    gbps: { forward: gbps(forwardBytes, forwardMs), backward: gbps(backwardBytes, backwardMs), tfjsWebgpuForward: gbps(forwardBytes, tfjsMs) },
    forwardRatioVsTfjs: +(tfjsMs / forwardMs).toFixed(2),
  };
}

/** Runs, prints the table and writes bench/out/rmsnorm.json. */
export async function main() {
  const r = await run();
  console.log(
    `RMSNorm [${r.rows}, ${r.cols}] f32 on ${r.adapter} (${r.cores} cores, load ${r.loadAverage}); median ms per ${r.passesPerRun} passes + one readback`,
  );
  printTable(
    ['kernel', 'ms', 'GB/s'],
    [
      ['forward (ours)', r.medianMs.forward, r.gbps.forward],
      ['backward (ours)', r.medianMs.backward, r.gbps.backward],
      ['forward (tfjs-webgpu, composed)', r.medianMs.tfjsWebgpuForward, r.gbps.tfjsWebgpuForward],
    ],
  );
  console.log(`forward: ours ${r.forwardRatioVsTfjs}x tfjs-webgpu`);
  writeReport('rmsnorm', r);
  return r;
}

if (isMain(import.meta.url)) {
  await main();
  process.exit(0);
}
