/**
 * Runs every benchmark in turn (or those named on the command line), each printing its table and
 * writing bench/out/<name>.json, then draws each report as an SVG bar chart beside its JSON.
 *
 *   npm run bench                      # all
 *   npm run bench -- attention rmsnorm # some
 */
import { writeFileSync } from 'node:fs';
import { barChart, type BarGroup } from '@hrm-webgpu/hrm';

interface Bench {
  load: () => Promise<{ main: () => Promise<unknown> }>;
  /** The chart's y label and bars, from the report the benchmark returned. */
  chart: (report: any) => { yLabel: string; groups: BarGroup[] };
}

const BENCHES: Record<string, Bench> = {
  'cpu-matmul': {
    load: () => import('./cpu-matmul.js'),
    chart: (r) => ({
      yLabel: 'GFLOP/s from CPU time (higher is better)',
      groups: r.results.map((x: any) => ({
        label: x.label,
        values: {
          'ours, SIMD (1 thread)': x.ours.gflopsCpuTime,
          [`ours, SIMD (${r.threads} threads, wall)`]: x.oursThreaded.gflops,
          'ours, TypeScript (1 thread)': x.oursTypeScript.gflopsCpuTime,
          'tfjs-backend-cpu': x.tfjsCpu.gflopsCpuTime,
          'pytorch (1 thread)': x.torch?.gflopsCpuTime ?? NaN,
        },
      })),
    }),
  },
  'cpu-kernels': {
    load: () => import('./cpu-kernels.js'),
    chart: (r) => ({
      yLabel: 'CPU ms per call (lower is better)',
      groups: r.results.map((x: any) => ({
        label: `${x.shape} ${x.kernel.split(' [')[0]}`,
        values: { 'SIMD on': x.simd.cpuMs, TypeScript: x.typescript.cpuMs },
      })),
    }),
  },
  'webgpu-matmul': {
    load: () => import('./webgpu-matmul.js'),
    chart: (r) => ({ yLabel: 'GFLOP/s (higher is better)', groups: r.rows.map((x: any) => ({ label: x.shape, values: x.gflops })) }),
  },
  attention: {
    load: () => import('./attention.js'),
    chart: (r) => ({ yLabel: 'ms, forward + backward (lower is better)', groups: [{ label: 'B64 H8 S82 D64', values: r.medianMs }] }),
  },
  'front-end': {
    load: () => import('./front-end.js'),
    chart: (r) => ({
      yLabel: 'µs of CPU time per op, tiny tensors with backward (lower is better)',
      groups: [{ label: '2x2 op chain', values: { ours: r.ours.cpuUs, pytorch: r.torch?.cpuUs ?? NaN } }],
    }),
  },
  rmsnorm: {
    load: () => import('./rmsnorm.js'),
    chart: (r) => ({ yLabel: 'GB/s (higher is better)', groups: [{ label: `[${r.rows}, ${r.cols}]`, values: r.gbps }] }),
  },
  'webgpu-step': {
    load: () => import('./webgpu-step.js'),
    chart: (r) => ({
      yLabel: 'ms per training step on WebGPU (lower is better)',
      groups: r.results.map((x: any) => ({
        label: x.size,
        values: { 'ours (webgpu)': x.stepMs, 'of which in kernels': x.gpuMs, 'pytorch (all threads)': x.torchAllThreadsMs ?? NaN },
      })),
    }),
  },
  'hrm-step': {
    load: () => import('./hrm-step.js'),
    chart: (r) => ({
      yLabel: 'ms per training step (lower is better)',
      groups: r.results.map((x: any) => ({
        label: x.size,
        values: {
          'ours (cpu)': x.ours.cpu.medianMs,
          'ours (cpu, all threads)': x.ours.cpuThreads.medianMs,
          ...(x.ours.webgpu ? { 'ours (webgpu)': x.ours.webgpu.medianMs } : {}),
          'pytorch (1 thread)': x.torch?.oneThread?.medianMs ?? NaN,
          'pytorch (all threads)': x.torch?.allThreads?.medianMs ?? NaN,
        },
      })),
    }),
  },
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in BENCHES));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  console.log(`\n=== ${name}`);
  const bench = BENCHES[name]!;
  const report = await (await bench.load()).main();
  const { yLabel, groups } = bench.chart(report);
  writeFileSync(`bench/out/${name}.svg`, barChart({ title: name, yLabel, groups }));
  console.log(`bench/out/${name}.json, bench/out/${name}.svg`);
}
