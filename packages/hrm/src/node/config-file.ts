/**
 * Configuration files as the reference writes them: JSON, flat or with the model fields under
 * "arch" (Hydra style), split into model and training fields.
 */
import { readFileSync } from 'node:fs';
import { TRAINING_KEYS } from '../train/training-config.js';

/** Reads and parses a JSON file; every failure (missing, unreadable, not JSON) names the file. */
export function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${what} ${file} not found` : `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} ${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Splits a JSON configuration into model and training fields; unknown fields are errors. */
export function splitConfigObject(obj: unknown, source: string): { arch: Record<string, unknown>; training: Record<string, unknown> } {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${source}: expected a JSON object`);
  const { arch: nested, ...rest } = obj as Record<string, unknown>;
  const arch: Record<string, unknown> = nested && typeof nested === 'object' ? { ...(nested as Record<string, unknown>) } : {};
  const training: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if ((TRAINING_KEYS as readonly string[]).includes(k)) training[k] = v;
    else arch[k] = v;
  }
  // The reference nests the batch size in the training config and copies it into the arch.
  if (arch.batch_size !== undefined && training.global_batch_size === undefined) training.global_batch_size = arch.batch_size;
  return { arch, training };
}
