/**
 * The JSONL metrics log of a training run: one record per training step and one per evaluation.
 * Records are appended as they happen; resuming first rewrites the file (atomically) without the
 * records of steps after the checkpoint, so the log reads as if the run had never stopped.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@hrm-webgpu/tensor/node';
import type { MetricsRecord } from './metrics.js';

export type { MetricsRecord };

export function readMetricsLog(path: string): MetricsRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as MetricsRecord;
      } catch {
        throw new Error(`${path}:${i + 1}: not a JSON record`);
      }
    });
}

export class MetricsLog {
  private constructor(readonly path: string) {}

  /** A new, empty log. */
  static async create(path: string): Promise<MetricsLog> {
    await writeFileAtomic(path, new Uint8Array());
    return new MetricsLog(path);
  }

  /** The log of a run resumed at `step`: records of later steps are dropped. */
  static async resume(path: string, step: number): Promise<MetricsLog> {
    const kept = readMetricsLog(path).filter((r) => r.step <= step);
    await writeFileAtomic(path, new TextEncoder().encode(kept.map((r) => JSON.stringify(r) + '\n').join('')));
    return new MetricsLog(path);
  }

  append(record: MetricsRecord): void {
    appendFileSync(this.path, JSON.stringify(record) + '\n');
  }

  records(): MetricsRecord[] {
    return readMetricsLog(this.path);
  }
}
