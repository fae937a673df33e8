/**
 * HRMSession, the browser-safe inference API: loads from bytes, a Blob or a URL with progress,
 * streams every segment, gives what `segmentPredictions` gives for the same model, refuses what
 * it cannot load, and its import graph holds no Node built-in.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, serializeSafetensors, setBackend } from '@hrm-webgpu/tensor';
import { describe, expect, it } from 'vitest';
import { HRMSession, type LoadProgress, type SegmentUpdate } from '../packages/hrm/src/session.js';
import { HRM } from '../packages/hrm/src/model/hrm.js';
import { demoSudoku4x4Config } from '../packages/hrm/src/config.js';
import { weightEntries } from '../packages/hrm/src/train/checkpoint.js';
import { segmentPredictions } from '../packages/hrm/src/train/segments.js';
import { sudokuTokens } from '../packages/hrm/src/data/sudoku/build.js';
import { generateSudoku } from '../packages/hrm/src/data/sudoku/generator.js';
import { bundleForBrowser } from './browser/bundle.js';

await setBackend('cpu');
const config = demoSudoku4x4Config({ hidden_size: 16, num_heads: 2, puzzle_emb_ndim: 16, halt_max_steps: 3 });
const model = new HRM(config, { rng: new Rng(7) });
const bytes = serializeSafetensors(await weightEntries(model), { hrm_config: JSON.stringify(config) }) as Uint8Array<ArrayBuffer>;
const puzzle = generateSudoku({ box: 2, targetGivens: 8 }, Rng.fromSeed(2)).puzzle;
const tokens = sudokuTokens(puzzle);

describe('HRMSession', () => {
  it('loads from bytes and streams each segment, as segmentPredictions gives them', async () => {
    const session = await HRMSession.create(bytes, { backend: 'cpu' });
    expect(session.backend).toBe('cpu');
    expect(session.adapter).toContain('CPU backend');
    const streamed: SegmentUpdate[] = [];
    const all = await session.solve(tokens, { onSegment: (u) => streamed.push(u) });
    expect(streamed).toEqual(all);
    expect(all.map((u) => u.segment)).toEqual([1, 2, 3]);
    const expected = await segmentPredictions(model, tokens, 3);
    expect(all.map((u) => Array.from(u.prediction))).toEqual(expected.map((e) => Array.from(e.prediction)));
    expect(all.map((u) => u.haltProbability)).toEqual(expected.map((e) => e.haltProbability));
    expect(all.at(-1)!.wouldHalt).toBe(true);
    expect((await session.solve(tokens, { segments: 2 })).length).toBe(2);
    session.dispose();
    await expect(session.solve(tokens)).rejects.toThrow('the session was disposed');
  });

  it('reports download progress for a Blob and a URL', async () => {
    const events: LoadProgress[] = [];
    const fromBlob = await HRMSession.create(new Blob([bytes]), { backend: 'cpu', onProgress: (p) => events.push(p) });
    expect(events.filter((e) => e.phase === 'download').at(-1)).toEqual({ phase: 'download', loaded: bytes.length, total: bytes.length });
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['download', 'parse', 'build']));
    const fakeFetch = (async (url: string) => {
      expect(url).toBe('https://example.test/model.safetensors');
      return new Response(bytes, { headers: { 'content-length': String(bytes.length) } });
    }) as typeof fetch;
    const fromUrl = await HRMSession.create('https://example.test/model.safetensors', { backend: 'cpu', fetch: fakeFetch });
    expect((await fromUrl.solve(tokens)).map((u) => u.qHaltLogit)).toEqual((await fromBlob.solve(tokens)).map((u) => u.qHaltLogit));
    fromBlob.dispose();
    fromUrl.dispose();
    const missing = (async () => new Response('no', { status: 404, statusText: 'Not Found' })) as unknown as typeof fetch;
    await expect(HRMSession.create('https://example.test/gone', { fetch: missing })).rejects.toThrow('https://example.test/gone: HTTP 404 Not Found');
  });

  it('names what is wrong: no configuration, a wrong input length', async () => {
    const bare = serializeSafetensors(await weightEntries(model));
    await expect(HRMSession.create(bare, { backend: 'cpu', name: 'bare.safetensors' })).rejects.toThrow(
      'bare.safetensors: this safetensors file stores no configuration; pass configYaml',
    );
    const session = await HRMSession.create(bare, { backend: 'cpu', config });
    await expect(session.solve([1, 2, 3])).rejects.toThrow('the model takes 16 tokens, got 3');
    session.dispose();
  });

  it('has no Node built-in in its import graph (bundles for the browser)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrm-session-bundle-'));
    await expect(bundleForBrowser(new URL('../packages/hrm/src/session.ts', import.meta.url).pathname, join(dir, 'session.js'))).resolves.toBeUndefined();
  });
});
