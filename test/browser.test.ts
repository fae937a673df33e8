/**
 * The engine in a real browser: the tensor package is bundled for the browser (failing on any
 * Node-only import), served from 127.0.0.1 with a test page, and run in headless Chromium on
 * WebGPU (navigator.gpu), where each check is compared with the CPU backend in the same page.
 *
 * Without Chromium or a WebGPU adapter in it, the browser checks are skipped with a printed
 * notice, unless HRM_REQUIRE_BROWSER=1 (CI), which turns that into a failure.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { relativeError } from '@hrm-webgpu/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HRM_ENTRY, buildTestSite, bundleForBrowser } from './browser/bundle.js';
import { CHROMIUM_PATH, launchChromium } from './browser/chromium.js';
import type { BrowserReport, CheckResult } from './browser/page.js';
import { serveDirectory, type StaticServer } from './browser/server.js';

const REQUIRED = process.env.HRM_REQUIRE_BROWSER === '1';
const CHECKS = ['matmul', 'softmax', 'rmsNorm', 'attention', 'mlpTraining'];
/** Normwise: max |webgpu - cpu| over max |cpu|, per output. */
const MAX_RELATIVE_ERROR = 1e-4;
const TIME_LIMIT_MS = 50_000;

let dir = '';
let server: StaticServer | undefined;
let browser: Browser | undefined;
let report: Extract<BrowserReport, { available: true }> | undefined;

function unavailable(reason: string): void {
  if (REQUIRED) throw new Error(`HRM_REQUIRE_BROWSER=1 but the browser test cannot run: ${reason}`);
  console.warn(`[tests] browser checks skipped: ${reason} (set HRM_REQUIRE_BROWSER=1 to fail instead).`);
}

const phaseMs: Record<string, number> = {};

async function timed<T>(phase: string, work: Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work;
  phaseMs[phase] = Math.round(performance.now() - start);
  return result;
}

async function runPage(url: string): Promise<BrowserReport> {
  browser = await timed('launch', launchChromium());
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await timed('load', page.goto(url));
  await page
    .waitForFunction(() => 'runBrowserChecks' in globalThis, undefined, { timeout: 10_000 })
    .catch(() => {
      throw new Error(`the test page did not load: ${pageErrors.join('; ') || 'no page error reported'}`);
    });
  return timed(
    'checks',
    page.evaluate(() => (globalThis as unknown as { runBrowserChecks(): Promise<BrowserReport> }).runBrowserChecks()),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hrm-browser-'));
  await timed('bundle', buildTestSite(dir));
  if (!existsSync(CHROMIUM_PATH)) return unavailable(`no Chromium at ${CHROMIUM_PATH}`);
  server = await serveDirectory(dir);
  const result = await runPage(server.url);
  if (!result.available) return unavailable(`no WebGPU adapter in Chromium (${result.reason}; ${result.userAgent})`);
  report = result;
  const phases = Object.entries(phaseMs).map(([phase, ms]) => `${phase} ${ms} ms`);
  console.info(`[tests] browser: ${report.adapter}; ${phases.join(', ')}; ${report.checks.map(timings).join(', ')}`);
}, TIME_LIMIT_MS);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const timings = (c: CheckResult): string => `${c.name} cpu ${c.cpu.ms.toFixed(0)} ms / webgpu ${c.webgpu ? `${c.webgpu.ms.toFixed(0)} ms` : 'failed'}`;

describe('browser bundle', () => {
  it('bundles the HRM package’s main entry for the browser too', async () => {
    await expect(bundleForBrowser(HRM_ENTRY, join(dir, 'hrm', 'hrm.js'), ['@hrm-webgpu/tensor'])).resolves.toBeUndefined();
  });

  it('fails on a Node-only import and names the import chain', async () => {
    const src = join(dir, 'node-import');
    await mkdir(src);
    await writeFile(join(src, 'entry.ts'), "export { hash } from './middle.js';\n");
    await writeFile(join(src, 'middle.ts'), "import { createHash } from 'node:crypto';\nexport const hash = createHash;\n");
    await expect(bundleForBrowser(join(src, 'entry.ts'), join(src, 'out.js'))).rejects.toThrow(
      /"node:crypto" is Node-only .*entry\.ts -> .*middle\.ts -> node:crypto/,
    );
  });
});

describe('the engine in headless Chromium on WebGPU', () => {
  it('runs every check on both backends', (ctx) => {
    if (!report) return ctx.skip();
    expect(report.checks.map((c) => c.name)).toEqual(CHECKS);
    expect(report.checks.filter((c) => c.error).map((c) => `${c.name}: ${c.error}`)).toEqual([]);
  });

  it.for(CHECKS)('%s matches the CPU backend', (name, ctx) => {
    const check = report?.checks.find((c) => c.name === name);
    if (!check?.webgpu) return ctx.skip();
    const { cpu, webgpu } = check;
    expect(webgpu.outputs.map((o) => o.length)).toEqual(cpu.outputs.map((o) => o.length));
    webgpu.outputs.forEach((out, i) => {
      expect(out.every(Number.isFinite), `output ${i} is finite`).toBe(true);
      expect(relativeError(out, cpu.outputs[i]!), `output ${i}`).toBeLessThan(MAX_RELATIVE_ERROR);
    });
  });

  it('trains: the loss falls over the steps', (ctx) => {
    const losses = report?.checks
      .find((c) => c.name === 'mlpTraining')
      ?.webgpu?.outputs.slice(0, -2)
      .map((o) => o[0]!);
    if (!losses) return ctx.skip();
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });

  it('leaves no live tensors behind', (ctx) => {
    if (!report) return ctx.skip();
    expect(report.liveTensorsAfter).toBe(0);
  });
});
