/**
 * The JSONL metrics log of a training run: one record per training step and one per evaluation.
 * Records are appended as they are read back; resuming first rewrites the file (atomically)
 * without the records of steps after the checkpoint, so the log reads as if the run had never
 * stopped. A last line cut short by a crash or a full disk (no newline, not JSON) is dropped on
 * resume with a notice; a broken line before it is an error naming the line.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@hrm-webgpu/tensor/node';
import type { MetricsRecord } from './metrics.js';

export type { MetricsRecord };

function parseRecord(line: string, where: string): MetricsRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${where}: not a JSON record`);
  }
  const r = value as Partial<MetricsRecord> | null;
  if (r === null || typeof r !== 'object' || (r.kind !== 'train' && r.kind !== 'eval') || !Number.isSafeInteger(r.step) || r.step! < 0) {
    throw new Error(`${where}: not a metrics record (needs "kind" train or eval and a non-negative integer "step")`);
  }
  return r as MetricsRecord;
}

/** The log's records and, when the file ends in a partial line, that line's text. */
function readLog(path: string): { records: MetricsRecord[]; torn?: string } {
  if (!existsSync(path)) return { records: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the file ends with a newline
  const records = lines.flatMap((line, i) => (line.trim() === '' ? [] : [parseRecord(line, `${path}:${i + 1}`)]));
  if (last.trim() === '') return { records };
  try {
    return { records: [...records, parseRecord(last, `${path}:${lines.length + 1}`)] };
  } catch {
    return { records, torn: last };
  }
}

/** Every record of a log; a partial last line (an interrupted append) is left out. */
export function readMetricsLog(path: string): MetricsRecord[] {
  return readLog(path).records;
}

export class MetricsLog {
  private constructor(readonly path: string) {}

  /** A new, empty log. */
  static async create(path: string): Promise<MetricsLog> {
    await writeFileAtomic(path, new Uint8Array());
    return new MetricsLog(path);
  }

  /** The log of a run resumed at `step`: records of later steps and a torn last line are dropped. */
  static async resume(path: string, step: number, notice: (line: string) => void = () => undefined): Promise<MetricsLog> {
    const { records, torn } = readLog(path);
    if (torn !== undefined) notice(`${path}: dropped a partial last line left by an interrupted write (${torn.length} characters)`);
    const kept = records.filter((r) => r.step <= step);
    await writeFileAtomic(path, new TextEncoder().encode(kept.map((r) => JSON.stringify(r) + '\n').join('')));
    return new MetricsLog(path);
  }

  append(record: MetricsRecord): void {
    try {
      appendFileSync(this.path, JSON.stringify(record) + '\n');
    } catch (e) {
      throw new Error(`cannot append to ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  records(): MetricsRecord[] {
    return readMetricsLog(this.path);
  }
}
