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
      yLabel: 'GFLOP/s (higher is better)',
      groups: r.results.map((x: any) => ({ label: `${x.size}²`, values: { 'ours (1 thread)': x.ours.gflops, [`ours (${r.threads} threads)`]: x.oursThreaded.gflops, 'tfjs-backend-cpu': x.tfjsCpu.gflops } })),
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
