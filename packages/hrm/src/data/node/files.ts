/** File access for the dataset readers and writers: every failure names the file. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const reason = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export function readBytesFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read: ${reason(e)}`);
  }
}

export function readTextFile(file: string): string {
  return new TextDecoder().decode(readBytesFile(file));
}

export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function writeBytesFile(file: string, data: Uint8Array | string): void {
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new Error(`cannot write ${file}: ${reason(e)}`);
  }
}

export function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the folder ${dir}: ${reason(e)}`);
  }
}
