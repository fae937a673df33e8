/**
 * CPU backend kernels at the shapes of an HRM training step (batch 16, heads 4, SwiGLU inter 4x
 * hidden rounded up to 256), one row per kernel family, each with its WebAssembly SIMD kernels on
 * and off in the same run (`setCpuSimd`; kernels without a SIMD version run the same code twice,
 * which shows the noise). f32. Per call: median wall and CPU milliseconds over repeated calls.
 *
 *   node --import tsx bench/cpu-kernels.ts [--sizes h64,h128]
 *
 * Wall time on a shared machine measures the contention too; compare the CPU-time columns.
 */
import { parseArgs } from 'node:util';
import type { AttentionParams, Backend, Storage } from '../packages/tensor/src/backend.js';
import { createCpuBackend } from '../packages/tensor/src/backends/cpu/index.js';
import { setCpuSimd } from '../packages/tensor/src/backends/cpu/wasm/features.js';
import { isMain, machine, median, printTable, writeReport } from './lib/timing.js';

interface Shape {
  name: string;
  batch: number;
  /** Sequence length including the puzzle-embedding slot. */
  seq: number;
  hidden: number;
  heads: number;
  inter: number;
  vocab: number;
}

const SHAPES: Shape[] = [
  { name: 'h64', batch: 16, seq: 17, hidden: 64, heads: 4, inter: 256, vocab: 6 },
  { name: 'h128', batch: 16, seq: 82, hidden: 128, heads: 4, inter: 512, vocab: 11 },
];

interface Case {
  name: string;
  /** Sets up operands on `be` and returns one call of the kernel (outputs freed). */
  make: (be: Backend) => () => void;
}

function random(be: Backend, n: number, seed: number, lo = -2, hi = 2): Storage {
  const data = new Float32Array(n);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    data[i] = lo + (hi - lo) * (x / 2 ** 32);
  }
  const s = be.alloc('f32', n);
  be.write(s, data);
  return s;
}

function labels(be: Backend, n: number, bound: number): Storage {
  const s = be.alloc('i32', n);
  be.write(
    s,
    Int32Array.from({ length: n }, (_, i) => (i * 7919) % bound),
  );
  return s;
}

const freeAll = (be: Backend, out: Storage | Storage[] | Record<string, Storage>): void => {
  for (const s of Array.isArray(out) ? out : 'size' in out ? [out as Storage] : Object.values(out)) be.free(s);
};

function cases(s: Shape): Case[] {
  const hd = s.hidden / s.heads;
  const rows = s.batch * s.seq;
  const heads = s.batch * s.heads * s.seq * hd;
  const att: AttentionParams = { batch: s.batch, heads: s.heads, seqQ: s.seq, seqK: s.seq, headDim: hd, scale: 1 / Math.sqrt(hd) };
  const shape = [s.batch, s.seq, s.hidden];
  return [
    {
      name: `attention forward [${s.batch},${s.heads},${s.seq},${hd}]`,
      make: (be) => {
        const [q, k, v] = [1, 2, 3].map((i) => random(be, heads, i));
        return () => freeAll(be, be.attention(q!, k!, v!, att));
      },
    },
    {
      name: 'attention backward',
      make: (be) => {
        const [q, k, v, dO] = [1, 2, 3, 4].map((i) => random(be, heads, i));
        const { o, lse } = be.attention(q!, k!, v!, att);
        return () => freeAll(be, be.attentionBackward(q!, k!, v!, o, lse, dO!, att));
      },
    },
    {
      name: `swiglu forward [${rows},2x${s.inter}]`,
      make: (be) => {
        const gu = random(be, rows * 2 * s.inter, 1, -4, 4);
        return () => be.free(be.swiglu(gu, rows, s.inter));
      },
    },
    {
      name: 'swiglu backward',
      make: (be) => {
        const [gu, d] = [random(be, rows * 2 * s.inter, 1, -4, 4), random(be, rows * s.inter, 2)];
        return () => be.free(be.swigluBackward(gu, d, rows, s.inter));
      },
    },
    {
      name: `rmsNorm forward [${rows},${s.hidden}]`,
      make: (be) => {
        const x = random(be, rows * s.hidden, 1);
        return () => freeAll(be, be.rmsNorm(x, rows, s.hidden, 1e-5));
      },
    },
    {
      name: 'rmsNorm backward',
      make: (be) => {
        const [x, dy] = [random(be, rows * s.hidden, 1), random(be, rows * s.hidden, 2)];
        const { invRms } = be.rmsNorm(x, rows, s.hidden, 1e-5);
        return () => be.free(be.rmsNormBackward(dy, x, invRms, rows, s.hidden));
      },
    },
    {
      name: `softmax [${s.batch * s.heads * s.seq},${s.seq}]`,
      make: (be) => {
        const x = random(be, s.batch * s.heads * s.seq * s.seq, 1);
        return () => be.free(be.softmax(x, s.batch * s.heads * s.seq, s.seq));
      },
    },
    {
      name: `crossEntropy stablemax fwd+bwd [${rows},${s.vocab}]`,
      make: (be) => {
        const [x, y, d] = [random(be, rows * s.vocab, 1), labels(be, rows, s.vocab), random(be, rows, 2)];
        return () => {
          be.free(be.crossEntropy(x, y, rows, s.vocab, -100, 'stablemax'));
          be.free(be.crossEntropyBackward(x, y, d, rows, s.vocab, -100, 'stablemax'));
        };
      },
    },
    {
      name: `add [${shape}] + [${shape}]`,
      make: (be) => {
        const [a, b] = [random(be, rows * s.hidden, 1), random(be, rows * s.hidden, 2)];
        return () => be.free(be.binary('add', a, shape, b, shape, shape));
      },
    },
    {
      name: `mul [${shape}] * [${s.batch},${s.seq},1]`,
      make: (be) => {
        const [a, b] = [random(be, rows * s.hidden, 1), random(be, rows, 2)];
        return () => be.free(be.binary('mul', a, shape, b, [s.batch, s.seq, 1], shape));
      },
    },
    {
      name: `sum over rows [${rows},${s.hidden}]`,
      make: (be) => {
        const x = random(be, rows * s.hidden, 1);
        return () => be.free(be.reduce('sum', x, 1, rows, s.hidden));
      },
    },
    {
      name: `stridedCopy qkv -> heads [${s.batch},${3 * s.heads},${s.seq},${hd}]`,
      make: (be) => {
        const x = random(be, rows * 3 * s.hidden, 1);
        const view = { shape: [s.batch, 3 * s.heads, s.seq, hd], strides: [s.seq * 3 * s.hidden, hd, 3 * s.hidden, 1], offset: 0 };
        return () => be.free(be.stridedCopy(x, view));
      },
    },
    {
      name: `rope [${s.batch},${s.heads},${s.seq},${hd}]`,
      make: (be) => {
        const [x, c, sn] = [random(be, heads, 1), random(be, s.seq * hd, 2), random(be, s.seq * hd, 3)];
        return () => be.free(be.rope(x, c, sn, s.batch, s.heads, s.seq, hd, false));
      },
    },
    {
      name: `adamATan2 [${s.hidden},${2 * s.inter}]`,
      make: (be) => {
        const n = s.hidden * 2 * s.inter;
        const [p, g, m, v] = [random(be, n, 1), random(be, n, 2), random(be, n, 3, 0, 1), random(be, n, 4, 0, 1)];
        let step = 1;
        return () => be.adamATan2Update(p, g, m, v, { lr: 1e-4, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, step: step++ });
      },
    },
  ];
}

export interface KernelTiming {
  wallMs: number;
  cpuMs: number;
}

export interface CpuKernelsReport {
  benchmark: 'cpu-kernels';
  machine: ReturnType<typeof machine>;
  results: { shape: string; kernel: string; simd: KernelTiming; typescript: KernelTiming; speedup: number }[];
}

/** Median per-call wall and CPU time over batches of calls (about `budgetMs` in all, after a warm-up). */
function time(fn: () => void, budgetMs: number): KernelTiming {
  for (let i = 0; i < 5; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || wall.length < 5) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: +median(wall).toFixed(3), cpuMs: +median(cpu).toFixed(3) };
}

export async function run(opts: { sizes?: string[] } = {}): Promise<CpuKernelsReport> {
  const shapes = opts.sizes ? SHAPES.filter((s) => opts.sizes!.includes(s.name)) : SHAPES;
  const be = createCpuBackend();
  const results: CpuKernelsReport['results'] = [];
  for (const shape of shapes) {
    for (const c of cases(shape)) {
      const call = c.make(be);
      // Alternate the two settings so that a change in the machine's load hits both alike.
      const runs: Record<'simd' | 'typescript', KernelTiming[]> = { simd: [], typescript: [] };
      for (let round = 0; round < 2; round++) {
        for (const mode of ['simd', 'typescript'] as const) {
          setCpuSimd(mode === 'simd');
          runs[mode].push(time(call, 200));
        }
      }
      setCpuSimd(null);
      const best = (xs: KernelTiming[]): KernelTiming => xs.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
      const [simd, typescript] = [best(runs.simd), best(runs.typescript)];
      results.push({ shape: shape.name, kernel: c.name, simd, typescript, speedup: +(typescript.cpuMs / simd.cpuMs).toFixed(2) });
    }
  }
  return { benchmark: 'cpu-kernels', machine: machine(), results };
}

export async function main(args: string[] = []): Promise<CpuKernelsReport> {
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' } } });
  const report = await run(values.sizes ? { sizes: values.sizes.split(',') } : {});
  printTable(
    ['shape', 'kernel', 'SIMD on: wall / cpu ms', 'TypeScript: wall / cpu ms', 'cpu speedup'],
    report.results.map((r) => [r.shape, r.kernel, `${r.simd.wallMs} / ${r.simd.cpuMs}`, `${r.typescript.wallMs} / ${r.typescript.cpuMs}`, `${r.speedup}x`]),
  );
  console.log(`load average ${report.machine.loadAverage} on ${report.machine.cores} cores (${report.machine.cpu})`);
  writeReport('cpu-kernels', report);
  return report;
}

if (isMain(import.meta.url)) await main(process.argv.slice(2));
