/**
 * Node-only file helpers: atomic writes (a reader sees the old file or the new one, never a mix,
 * and a failed write leaves the old file as it was) and safetensors files on top of them.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  MAX_HEADER_BYTES,
  parseSafetensors,
  parseSafetensorsHeader,
  serializeSafetensors,
  type SafetensorsHeader,
  type SafetensorsMap,
  type SafetensorsTensor,
} from '../io/safetensors.js';
import { parseStateDictFile } from '../io/state-dict-file.js';

/** The temporary name of an atomic write of `path`: hidden, random, `.tmp`. */
const temporaryName = (path: string) => join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
const TEMPORARY = /^\..+\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temporaries that atomic writes killed mid-way left in `dir` (nothing else), and
 * returns their names. Call it only while no write into `dir` is under way.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => TEMPORARY.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`cannot list ${dir}: ${(error as Error).message}`, { cause: error });
  }
  for (const name of names) {
    await unlink(join(dir, name)).catch((error: Error) => {
      throw new Error(`cannot remove the stale temporary ${join(dir, name)}: ${error.message}`, { cause: error });
    });
  }
  return names;
}

/**
 * Writes `bytes` to a temporary file in the same folder (so the rename cannot cross file systems),
 * flushes it to disk, then renames it over `path`. On failure the temporary file is removed and the
 * error, which names `path`, is rethrown.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = temporaryName(path);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new Error(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Runs a read, rethrowing a file-system error with a message that names the file. */
async function reading<T>(path: string, read: () => Promise<T>, what = 'safetensors file'): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads and decodes a whole safetensors file; errors name the file. */
export async function readSafetensorsFile(path: string): Promise<SafetensorsMap> {
  const bytes = await reading(path, () => readFile(path));
  return parseSafetensors(bytes, path);
}

/** Reads a safetensors or `torch.save` file (told apart by its first bytes); errors name the file. */
export async function readStateDictFile(path: string): Promise<SafetensorsMap> {
  const bytes = await reading(path, () => readFile(path), 'checkpoint file');
  return parseStateDictFile(bytes, path);
}

/** Reads only the length prefix and the header of a safetensors file (cheap for large files). */
export async function readSafetensorsHeaderFile(path: string): Promise<SafetensorsHeader> {
  const { bytes, size } = await reading(path, async () => {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const prefix = new Uint8Array(Math.min(8, size));
      await handle.read(prefix, 0, prefix.length, 0);
      const headerLength = prefix.length === 8 ? Number(new DataView(prefix.buffer).getBigUint64(0, true)) : 0;
      // An implausible length is reported by the parser from the prefix alone.
      if (headerLength > MAX_HEADER_BYTES) return { bytes: prefix, size };
      const bytes = new Uint8Array(Math.min(size, 8 + headerLength));
      await handle.read(bytes, 0, bytes.length, 0);
      return { bytes, size };
    } finally {
      await handle.close();
    }
  });
  return parseSafetensorsHeader(bytes, { source: path, fileSize: size });
}

/** Serialises and writes atomically (see `writeFileAtomic`). */
export async function writeSafetensorsFile(path: string, entries: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(entries, metadata));
}
