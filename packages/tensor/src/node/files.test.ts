import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serializeSafetensors } from '../io/safetensors.js';
import { readSafetensorsFile, readSafetensorsHeaderFile, writeFileAtomic, writeSafetensorsFile } from './files.js';

const failRename = vi.hoisted(() => ({ next: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (failRename.next) {
        failRename.next = false;
        throw Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' });
      }
      return actual.rename(from, to);
    },
  };
});

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'hrm-files-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file behind', async () => {
    const path = join(folder, 'a.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4, 5]));
    expect(Array.from(await readFile(path))).toEqual([4, 5]);
    expect(await readdir(folder)).toEqual(['a.bin']);
  });

  it('leaves the previous file intact when the write fails', async () => {
    const path = join(folder, 'checkpoint.safetensors');
    await writeFile(path, 'previous');
    failRename.next = true;
    await expect(writeFileAtomic(path, new Uint8Array(1000))).rejects.toThrow(`cannot write ${path}: ENOSPC`);
    expect(await readFile(path, 'utf8')).toBe('previous');
    expect(await readdir(folder)).toEqual(['checkpoint.safetensors']);
  });

  it('names the file when its folder does not exist', async () => {
    const path = join(folder, 'missing', 'a.bin');
    await expect(writeFileAtomic(path, new Uint8Array(1))).rejects.toThrow(`cannot write ${path}: ENOENT`);
  });
});

describe('safetensors files', () => {
  const entries = {
    weight: { dtype: 'f32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    ids: { dtype: 'i32' as const, shape: [2], data: new Int32Array([7, -8]) },
  };

  it('round-trips tensors and metadata through a file', async () => {
    const path = join(folder, 'w.safetensors');
    await writeSafetensorsFile(path, entries, { step: '12' });
    const back = await readSafetensorsFile(path);
    expect(back.metadata).toEqual({ step: '12' });
    expect(Array.from(back.get('weight')!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back.get('ids')!.data)).toEqual([7, -8]);
    const header = await readSafetensorsHeaderFile(path);
    expect(header.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([
      ['ids', 'I32', [2]],
      ['weight', 'F32', [2, 3]],
    ]);
  });

  it('names the file in read and validation errors', async () => {
    const missing = join(folder, 'missing.safetensors');
    await expect(readSafetensorsFile(missing)).rejects.toThrow(`cannot read safetensors file ${missing}: ENOENT`);
    await expect(readSafetensorsHeaderFile(missing)).rejects.toThrow(`cannot read safetensors file ${missing}`);
    const truncated = join(folder, 'truncated.safetensors');
    const bytes = serializeSafetensors(entries);
    await writeFile(truncated, bytes.subarray(0, bytes.length - 4));
    await expect(readSafetensorsFile(truncated)).rejects.toThrow(`${truncated}: tensor 'weight'`);
    await expect(readSafetensorsHeaderFile(truncated)).rejects.toThrow(`${truncated}: tensor 'weight'`);
    const huge = join(folder, 'huge.safetensors');
    await writeFile(huge, new Uint8Array([255, 255, 255, 255, 255, 255, 0, 0, 1, 2]));
    await expect(readSafetensorsHeaderFile(huge)).rejects.toThrow(`${huge}: header length`);
  });
});
