/**
 * Where a checkpoint's weights and configuration are (Node only). A checkpoint is a file
 * (safetensors, or a `torch.save` state dict) or a folder laid out as the official releases are:
 * the weights in `checkpoint` (or the reference's `step_N` files; the highest is taken) beside
 * `all_config.yaml`. The configuration is the one stored in a safetensors file's metadata, else
 * the `all_config.yaml` beside the weights.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readStateDictFile } from '@hrm-webgpu/tensor/node';
import type { SafetensorsMap } from '@hrm-webgpu/tensor';
import { validateConfig, type HRMConfig } from '../config.js';
import { OFFICIAL_CONFIG_FILE, officialConfigFromYaml } from '../official-config.js';

export interface CheckpointSource {
  /** The weights file. */
  weights: string;
  /** The official configuration beside it, if there is one. */
  yaml?: string;
}

const OFFICIAL_WEIGHTS = 'checkpoint';

export function locateCheckpoint(path: string): CheckpointSource {
  if (!existsSync(path)) throw new Error(`checkpoint ${path} not found`);
  const folder = statSync(path).isDirectory();
  const weights = folder ? officialWeightsIn(path) : path;
  const yaml = join(folder ? path : dirname(path), OFFICIAL_CONFIG_FILE);
  return { weights, ...(existsSync(yaml) ? { yaml } : {}) };
}

function officialWeightsIn(folder: string): string {
  if (existsSync(join(folder, OFFICIAL_WEIGHTS))) return join(folder, OFFICIAL_WEIGHTS);
  const steps = readdirSync(folder)
    .map((f) => /^step_(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  if (steps.length === 0) throw new Error(`${folder}: a checkpoint folder holds its weights in '${OFFICIAL_WEIGHTS}' (or step_N files), found neither`);
  return join(folder, `step_${Math.max(...steps)}`);
}

export interface ReadCheckpoint {
  map: SafetensorsMap;
  source: CheckpointSource;
  /** The configuration stored in the file, else the one of all_config.yaml; undefined when neither exists. */
  config?: HRMConfig;
}

export const CONFIG_KEY = 'hrm_config';

/** A JSON metadata entry of `file`, with an error naming the file and the key when it does not parse. */
export function parseJsonMetadata(file: string, key: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new Error(`${file}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

/** The configuration stored in a safetensors checkpoint's metadata, or undefined for files without one (official exports). */
export function storedConfig(metadata: Record<string, string>, file = 'checkpoint'): unknown {
  const raw = metadata[CONFIG_KEY];
  return raw === undefined ? undefined : parseJsonMetadata(file, CONFIG_KEY, raw);
}

/** Reads a checkpoint (file or folder) with the configuration found beside or inside it. */
export async function readCheckpoint(path: string): Promise<ReadCheckpoint> {
  const source = locateCheckpoint(path);
  const map = await readStateDictFile(source.weights);
  const stored = storedConfig(map.metadata, source.weights);
  if (stored !== undefined) return { map, source, config: validateConfig(stored, `${source.weights} (stored configuration)`) };
  if (source.yaml !== undefined) return { map, source, config: officialConfigFromYaml(readFileSync(source.yaml, 'utf8'), map, source.yaml) };
  return { map, source };
}
