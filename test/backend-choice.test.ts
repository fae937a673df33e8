/**
 * Backend choice: `auto` says what it chose, prefers the CPU backend over a CPU-emulated WebGPU
 * adapter (lavapipe here), and `--resume` keeps the backend its run started on.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeAdapter } from '@hrm-webgpu/tensor';
import { initBackend, nodeGpu } from '@hrm-webgpu/tensor/node';
import { webgpuRequired } from '@hrm-webgpu/tensor/testing';
import { describe, expect, it, vi } from 'vitest';
import { backendPreference } from '../packages/hrm/src/commands/backend.js';
import { main } from '../packages/hrm/src/commands/main.js';
import { generateDemoData } from '../packages/hrm/src/data/demo.js';
import { writeDataset } from '../packages/hrm/src/data/node/datasetFiles.js';

const adapter = await probeAdapter(nodeGpu());

describe('auto backend', () => {
  it.skipIf(!adapter && !webgpuRequired())('prefers the CPU backend over a CPU-emulated adapter, in one line naming it', async () => {
    expect(adapter, 'no WebGPU adapter, and HRM_REQUIRE_WEBGPU=1').toEqual({ description: expect.stringMatching(/\S/), emulated: expect.any(Boolean) });
    const lines: string[] = [];
    const chosen = await initBackend('auto', (l) => lines.push(l));
    if (adapter!.emulated) {
      expect(chosen).toBe('cpu');
      expect(lines).toEqual([expect.stringContaining(`the WebGPU adapter (${adapter!.description}) is a CPU emulation`)]);
    } else {
      expect(chosen).toBe('webgpu');
      expect(lines).toEqual([expect.stringContaining('using WebGPU on')]);
    }
  });

  it('an explicit backend wins over HRM_BACKEND, which wins over the resumed run', () => {
    expect(backendPreference('cpu', 'webgpu', 'webgpu')).toBe('cpu');
    expect(backendPreference(undefined, 'cpu', 'webgpu')).toBeUndefined(); // initBackend reads HRM_BACKEND
    expect(backendPreference(undefined, undefined, 'webgpu')).toBe('webgpu');
    expect(backendPreference(undefined, '', undefined)).toBeUndefined();
    expect(() => backendPreference('gpu', undefined)).toThrow("--backend must be one of cpu, webgpu, auto; got 'gpu'");
  });

  it('a run records its backend for --resume', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hrm-backend-'));
    const { train, test } = generateDemoData({ trainPuzzles: 8, testPuzzles: 2, augmentations: 0, seed: 1 });
    writeDataset(join(root, 'data'), { train, test });
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const quietErr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const code = await main([
        'train',
        '--data',
        join(root, 'data'),
        '--out',
        join(root, 'run'),
        '--preset',
        'sudoku4x4',
        '--steps',
        '1',
        '--global_batch_size',
        '4',
        '--backend',
        'cpu',
        '--no-progress',
      ]);
      expect(code).toBe(0);
    } finally {
      quiet.mockRestore();
      quietErr.mockRestore();
    }
    expect(JSON.parse(readFileSync(join(root, 'run', 'run.json'), 'utf8')).backend).toBe('cpu');
  });
});
