/**
 * Shared benchmark plumbing: warm-up then timed runs with medians, a plain-text table, and the JSON
 * report written to bench/out/<name>.json. Every timed run ends with the result read back to the
 * host, so GPU work is included whole and timings are comparable across engines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall milliseconds of `runs` calls after `warmup` untimed ones. */
export async function medianMs(fn: () => Promise<unknown>, runs: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Machine facts printed with every report: wall-clock figures above the core count are contended. */
export function machine(): { cpu: string; cores: number; loadAverage: number; node: string } {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadAverage: +os.loadavg()[0]!.toFixed(2), node: process.version };
}

export function printTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  for (const [n, r] of cells.entries()) {
    console.log(r.map((c, i) => String(c).padStart(widths[i]!)).join(' | '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
}

/** Prints the report as one JSON line and writes it to bench/out/<name>.json. */
export function writeReport(name: string, report: unknown): void {
  const json = JSON.stringify(report);
  console.log(json);
  const outDir = fileURLToPath(new URL('../out/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}${name}.json`, `${json}\n`);
}

/** True when the importing module is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];
}
