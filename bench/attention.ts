/**
 * Attention forward + backward at HRM's shape (batch 64, heads 8, seq 82, headDim 64): our fused
 * kernels against the same engine's composed path (matmul -> scale -> softmax -> matmul, and the
 * backward from matmuls and softmaxBackward), and against tfjs-backend-webgpu 4.22 composing the
 * same forward and backward ops, on the same Dawn adapter. Each timed run reads O, dQ, dK and dV
 * back; our two paths are also timed without readback (until the GPU is idle), which isolates the
 * kernels.
 *
 * The contenders run in turns (one run of each per round) so that load changes on a shared machine
 * hit them alike. Besides wall time, each run's CPU time of this process is recorded: on a
 * CPU-emulated adapter (lavapipe) the shaders run on the process's own threads, so CPU time is the
 * work done and varies less with other processes' load than wall time. Prints a table and JSON
 * (bench/out/attention.json). HRM_ATTENTION_LAYOUT=single|blocked|subgroup times another layout.
 *
 *   npx tsx bench/attention.ts
 */
import { isMain, machine, median, printTable, writeReport } from './lib/timing.js';

const { backend, engine, randomF32, tfjsWebGpu } = await import('./lib/webgpu.js');
const { attention, attentionBackward, attentionLayout } = await import('../packages/tensor/src/backends/webgpu/kernels/attention.js');
const { matmul } = await import('../packages/tensor/src/backends/webgpu/kernels/matmul.js');
const { softmax, softmaxBackward } = await import('../packages/tensor/src/backends/webgpu/kernels/softmax.js');
const { binary } = await import('../packages/tensor/src/backends/webgpu/kernels/elementwise.js');

type Storage = ReturnType<typeof backend.alloc>;

const SHAPE = { batch: 64, heads: 8, seq: 82, headDim: 64 };
const RUNS = 5;

/** Forward and backward through separate kernels, as an unfused engine would run them. */
function composed(q: Storage, k: Storage, v: Storage, dO: Storage, scale: Storage): Storage[] {
  const { batch, heads, seq: s, headDim: d } = SHAPE;
  const bh = batch * heads;
  const mm = (a: Storage, b: Storage, m: number, n: number, kk: number, transA: boolean, transB: boolean) =>
    matmul(engine, a, b, { batch: bh, m, n, k: kk, transA, transB, aBatchStride: m * kk, bBatchStride: kk * n });
  const scores = [bh, s, s];
  const scaled = (x: Storage) => binary(engine, 'mul', x, scores, scale, [1, 1, 1], scores);
  const free = (...xs: Storage[]) => xs.forEach((x) => engine.release(x));

  const raw = mm(q, k, s, s, d, false, true);
  const logits = scaled(raw);
  const probs = softmax(engine, logits, bh * s, s);
  const o = mm(probs, v, s, d, s, false, false);
  const dv = mm(probs, dO, s, d, s, true, false);
  const dProbs = mm(dO, v, s, s, d, false, true);
  const dLogits = softmaxBackward(engine, probs, dProbs, bh * s, s);
  const dRaw = scaled(dLogits);
  const dq = mm(dRaw, k, s, d, s, false, false);
  const dk = mm(dRaw, q, s, d, s, true, false);
  free(raw, logits, probs, dProbs, dLogits, dRaw);
  return [o, dq, dk, dv];
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - wall, cpuMs: (used.user + used.system) / 1000 };
}

/** Medians of `runs` rounds after one warm-up round; each round runs every contender once, in turn. */
async function interleaved<K extends string>(contenders: Record<K, () => Promise<unknown>>, runs: number): Promise<Record<K, Timing>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as Timing[]])) as Record<K, Timing[]>;
  for (let round = 0; round <= runs; round++) {
    for (const name of names) {
      const t = await timed(contenders[name]);
      if (round > 0) samples[name].push(t);
    }
  }
  const round1 = (x: number) => +x.toFixed(1);
  return Object.fromEntries(
    names.map((n) => [n, { wallMs: round1(median(samples[n].map((t) => t.wallMs))), cpuMs: round1(median(samples[n].map((t) => t.cpuMs))) }]),
  ) as Record<K, Timing>;
}

export async function run() {
  const { batch, heads, seq, headDim } = SHAPE;
  const n = batch * heads * seq * headDim;
  const data = [1, 2, 3, 4].map((seed) => randomF32(n, seed));
  const [q, k, v, dO] = data.map((values) => {
    const s = backend.alloc('f32', n);
    backend.write(s, values);
    return s;
  }) as [Storage, Storage, Storage, Storage];
  const scaleValue = 1 / Math.sqrt(headDim);
  const scale = backend.alloc('f32', 1);
  backend.write(scale, Float32Array.of(scaleValue));
  const p = { batch, heads, seqQ: seq, seqK: seq, headDim, scale: scaleValue };
  const readAll = async (xs: Storage[]) => {
    await Promise.all(xs.map((x) => engine.read(x)));
    xs.forEach((x) => engine.release(x));
  };
  // Without readback (which costs as much as the kernels on lavapipe, a fresh staging buffer per read): until the GPU is idle.
  const settle = async (xs: Storage[]) => {
    await engine.sync();
    xs.forEach((x) => engine.release(x));
  };
  const fusedOutputs = () => {
    const f = attention(engine, q, k, v, p);
    const g = attentionBackward(engine, q, k, v, f.o, f.lse, dO, p);
    return [f.o, f.lse, g.dq, g.dk, g.dv];
  };

  const tf = await tfjsWebGpu();
  const shape = [batch * heads, seq, headDim];
  const [tq, tk, tv, tdO] = data.map((values) => tf.tensor3d(values, shape as [number, number, number]));
  // tfjs's Node bundle registers no gradients, so the backward is spelled out as in `composed`.
  const tfjsComposed = () =>
    tf.tidy(() => {
      const probs = tf.softmax(tf.mul(tf.matMul(tq!, tk!, false, true), scaleValue));
      const o = tf.matMul(probs, tv!);
      const dv = tf.matMul(probs, tdO!, true, false);
      const dProbs = tf.matMul(tdO!, tv!, false, true);
      const dRaw = tf.mul(tf.mul(probs, tf.sub(dProbs, tf.sum(tf.mul(dProbs, probs), -1, true))), scaleValue);
      return [o, tf.matMul(dRaw, tk!), tf.matMul(dRaw, tq!, true, false), dv];
    });

  const t = await interleaved(
    {
      fused: () => readAll(fusedOutputs()),
      fusedForwardOnly: async () => {
        const f = attention(engine, q, k, v, p);
        await readAll([f.o, f.lse]);
      },
      composed: () => readAll(composed(q, k, v, dO, scale)),
      fusedNoReadback: () => settle(fusedOutputs()),
      composedNoReadback: () => settle(composed(q, k, v, dO, scale)),
      tfjsWebgpuComposed: async () => {
        const out = tfjsComposed();
        await Promise.all(out.map((x) => x.data()));
        out.forEach((x) => x.dispose());
      },
    },
    RUNS,
  );
  [q, k, v, dO, scale].forEach((s) => backend.free(s));
  [tq, tk, tv, tdO].forEach((x) => x!.dispose());

  const ratio = (a: number, b: number) => +(a / b).toFixed(2);
  return {
    benchmark: 'attention',
    adapter: backend.description,
    layout: attentionLayout(engine),
    ...machine(),
    shape: SHAPE,
    medianMs: {
      fused: t.fused.wallMs,
      fusedForwardOnly: t.fusedForwardOnly.wallMs,
      composed: t.composed.wallMs,
      tfjsWebgpuComposed: t.tfjsWebgpuComposed.wallMs,
    },
    medianCpuMs: {
      fused: t.fused.cpuMs,
      fusedForwardOnly: t.fusedForwardOnly.cpuMs,
      composed: t.composed.cpuMs,
      tfjsWebgpuComposed: t.tfjsWebgpuComposed.cpuMs,
    },
    noReadback: {
      medianMs: { fused: t.fusedNoReadback.wallMs, composed: t.composedNoReadback.wallMs },
      medianCpuMs: { fused: t.fusedNoReadback.cpuMs, composed: t.composedNoReadback.cpuMs },
    },
    speedupVsComposed: ratio(t.composed.wallMs, t.fused.wallMs),
    speedupVsTfjs: ratio(t.tfjsWebgpuComposed.wallMs, t.fused.wallMs),
    cpuSpeedupVsComposed: ratio(t.composed.cpuMs, t.fused.cpuMs),
    cpuSpeedupVsTfjs: ratio(t.tfjsWebgpuComposed.cpuMs, t.fused.cpuMs),
    noReadbackSpeedupVsComposed: ratio(t.composedNoReadback.wallMs, t.fusedNoReadback.wallMs),
    noReadbackCpuSpeedupVsComposed: ratio(t.composedNoReadback.cpuMs, t.fusedNoReadback.cpuMs),
  };
}

/** Runs, prints the table and writes bench/out/attention.json. */
export async function main() {
  const r = await run();
  console.log(
    `attention fwd+bwd, batch ${r.shape.batch}, heads ${r.shape.heads}, seq ${r.shape.seq}, headDim ${r.shape.headDim} on ${r.adapter}, ${r.layout} layout (${r.cores} cores, load ${r.loadAverage}); medians of ${RUNS} interleaved runs incl. readback`,
  );
  printTable(
    ['path', 'wall ms', 'fused speed-up', 'process CPU ms', 'fused speed-up (CPU)'],
    [
      ['fused (ours)', r.medianMs.fused, '1x', r.medianCpuMs.fused, '1x'],
      ['composed (ours: matmul, softmax, matmul)', r.medianMs.composed, `${r.speedupVsComposed}x`, r.medianCpuMs.composed, `${r.cpuSpeedupVsComposed}x`],
      ['composed (tfjs-webgpu)', r.medianMs.tfjsWebgpuComposed, `${r.speedupVsTfjs}x`, r.medianCpuMs.tfjsWebgpuComposed, `${r.cpuSpeedupVsTfjs}x`],
      ['fused forward only', r.medianMs.fusedForwardOnly, '', r.medianCpuMs.fusedForwardOnly, ''],
      ['fused (ours), no readback', r.noReadback.medianMs.fused, '1x', r.noReadback.medianCpuMs.fused, '1x'],
      [
        'composed (ours), no readback',
        r.noReadback.medianMs.composed,
        `${r.noReadbackSpeedupVsComposed}x`,
        r.noReadback.medianCpuMs.composed,
        `${r.noReadbackCpuSpeedupVsComposed}x`,
      ],
    ],
  );
  writeReport('attention', r);
  return r;
}

if (isMain(import.meta.url)) {
  await main();
  process.exit(0);
}
