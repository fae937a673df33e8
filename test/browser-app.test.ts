/**
 * The example web app (examples/browser) in headless Chromium: Vite builds it, the test writes a
 * small checkpoint beside it, the page loads it in its worker, solves a 4x4 Sudoku, and every
 * segment's board and the answer shown must be what HRMSession gives in Node for the same file.
 * It runs with backend auto and then webgpu; a screenshot of each goes to test-output/
 * (HRM_TEST_OUTPUT elsewhere). Skipped with a notice without
 * Chromium, unless HRM_REQUIRE_BROWSER=1.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, serializeSafetensors, setBackend } from '@hrm-webgpu/tensor';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';
import { demoSudoku4x4Config } from '../packages/hrm/src/config.js';
import { sudokuBoardFromTokens, sudokuTokens } from '../packages/hrm/src/data/sudoku/build.js';
import { generateSudoku } from '../packages/hrm/src/data/sudoku/generator.js';
import { HRM } from '../packages/hrm/src/model/hrm.js';
import { HRMSession } from '../packages/hrm/src/session.js';
import { weightEntries } from '../packages/hrm/src/train/checkpoint.js';
import { CHROMIUM_PATH, launchChromium } from './browser/chromium.js';
import { serveDirectory } from './browser/server.js';

const REQUIRED = process.env.HRM_REQUIRE_BROWSER === '1';
const hasChromium = existsSync(CHROMIUM_PATH);
if (!hasChromium && !REQUIRED) console.warn(`[tests] browser app test skipped: no Chromium at ${CHROMIUM_PATH} (set HRM_REQUIRE_BROWSER=1 to fail instead).`);
const OUTPUT = process.env.HRM_TEST_OUTPUT ?? fileURLToPath(new URL('../test-output', import.meta.url));

describe.skipIf(!hasChromium && !REQUIRED)('examples/browser in Chromium', () => {
  it('loads a checkpoint, solves a puzzle in its worker and shows the model answer segment by segment', { timeout: 240_000 }, async () => {
    expect(hasChromium, `HRM_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM_PATH}`).toBe(true);
    const site = mkdtempSync(join(tmpdir(), 'hrm-app-'));
    await build({
      configFile: fileURLToPath(new URL('../examples/browser/vite.config.ts', import.meta.url)),
      logLevel: 'warn',
      build: { outDir: site, emptyOutDir: true },
    });

    // A small model of the demo's layout with its own random weights; the expected boards come from Node.
    await setBackend('cpu');
    const config = demoSudoku4x4Config({ hidden_size: 16, num_heads: 2, puzzle_emb_ndim: 16, halt_max_steps: 4 });
    const model = new HRM(config, { rng: new Rng(11) });
    const entries = await weightEntries(model);
    model.dispose();
    // The Q head starts at zero (a constant q_halt); random values make each segment's differ.
    const rng = new Rng(12);
    for (const key of ['model.inner.q_head.weight', 'model.inner.q_head.bias']) entries[key]!.data.forEach((_, i, a) => (a[i] = rng.normal()));
    const bytes = serializeSafetensors(entries, { hrm_config: JSON.stringify(config) });
    writeFileSync(join(site, 'model.safetensors'), bytes);
    const puzzle = generateSudoku({ box: 2, targetGivens: 7 }, Rng.fromSeed(5)).puzzle;
    const session = await HRMSession.create(bytes, { backend: 'cpu' });
    const expected = (await session.solve(sudokuTokens(puzzle))).map((s) => Array.from(sudokuBoardFromTokens(s.prediction)).join(''));
    session.dispose();

    const server = await serveDirectory(site);
    const browser = await launchChromium();
    try {
      // auto (the CPU backend on Chromium's software adapter here), then WebGPU asked for.
      for (const backend of ['auto', 'webgpu'] as const) {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const text = Array.from(puzzle, (v) => (v === 0 ? '.' : String(v))).join('');
        await page.goto(`${server.url}?model=model.safetensors&backend=${backend}&puzzle=${text}`);
        await page.waitForSelector('#adapter[data-backend]', { timeout: 60_000 }).catch(async () => {
          throw new Error(`${backend}: the model did not load: ${await page.textContent('#status')}; ${errors.join('; ')}`);
        });
        const adapter = await page.textContent('#adapter');
        if (backend === 'webgpu') expect(await page.getAttribute('#adapter', 'data-backend')).toBe('webgpu');
        await page.click('#solve');
        await page.waitForSelector('#answer-panel[data-done="true"], #status.error', { timeout: 120_000 });
        expect(await page.getAttribute('#status', 'class'), `${backend}: ${await page.textContent('#status')}`).not.toBe('error');
        const segments = await page.$$eval('.segment .grid', (grids) => grids.map((g) => (g as HTMLElement).dataset.board));
        const answer = await page.$eval('#answer-grid .grid', (g) => (g as HTMLElement).dataset.board);
        const changed = await page.$$eval('.segment', (cards) => cards.map((c) => c.querySelectorAll('.cell.changed').length));
        mkdirSync(OUTPUT, { recursive: true });
        const shot = join(OUTPUT, `browser-app-${backend}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        console.info(`[tests] browser app (${backend}): ${adapter}; screenshot ${shot}`);

        expect(errors).toEqual([]);
        expect(segments).toEqual(expected);
        expect(answer).toBe(expected.at(-1));
        // Segment 1 is compared with the puzzle: every cell it fills or alters is highlighted.
        const first = expected[0]!;
        expect(changed[0]).toBe([...first].filter((c, i) => Number(c) !== puzzle[i]).length);
        await page.close();
      }
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
