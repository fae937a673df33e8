/** Lines of a text file read in 4 MiB chunks, so files larger than a JS string can hold still stream. */
import { closeSync, openSync, readSync } from 'node:fs';

export function* readLines(file: string): Generator<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new Error(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const chunk = Buffer.alloc(4 << 20);
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const lines = (pending + decoder.decode(chunk.subarray(0, n), { stream: true })).split('\n');
      pending = lines.pop()!;
      yield* lines;
    }
    pending += decoder.decode();
    if (pending !== '') yield pending;
  } finally {
    closeSync(fd);
  }
}
