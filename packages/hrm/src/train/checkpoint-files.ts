/**
 * Checkpoint files (Node only). `step_{N}.safetensors` holds the model's state dict under the
 * official keys (`model.inner.*`, linear weights [out, in], buffers included) with the
 * configuration in the metadata; `step_{N}.train.safetensors` holds what resuming needs besides
 * the weights: optimiser moments, the ACT carry, the step, RNG and data-stream state. The
 * training file is written first, so a checkpoint counts as complete once its weights exist.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import type { SafetensorsTensor } from '@hrm-webgpu/tensor';
import type { HRMConfig } from '../config.js';
import type { HRM } from '../model/hrm.js';
import { int, num, parseSettings } from '../schema.js';
import { checkpointPrefix, countCheckpointParameters, loadWeights, weightEntries } from './checkpoint.js';
import { checkSnapshot, firstNonFinite } from './snapshot-check.js';
import { CONFIG_KEY, parseJsonMetadata, readCheckpoint, storedConfig } from './checkpoint-source.js';
import { decodeState, encodeState, type Skeleton } from './state-codec.js';
import type { Trainer, TrainerSnapshot } from './trainer.js';
import { validateTrainingConfig, type TrainingConfig } from './training-config.js';

export const weightsFile = (out: string, step: number) => join(out, `step_${step}.safetensors`);
export const trainingStateFile = (out: string, step: number) => join(out, `step_${step}.train.safetensors`);

const TRAINING_KEY = 'hrm_training';

/** The scalar fields of a training file's metadata (the training configuration and the state's skeleton are checked on their own). */
const TRAINING_METADATA_SCHEMA = {
  step: int('the step the checkpoint was written after', { min: 0, max: 2 ** 40 }),
  elapsed: num('seconds of training before the checkpoint', { min: 0, max: 1e12 }),
};

interface TrainingMetadata {
  step: number;
  elapsed: number;
  training: TrainingConfig;
  snapshot: Skeleton;
}

/** The highest step with a complete checkpoint in `out`, if any. */
export function latestCheckpointStep(out: string): number | undefined {
  if (!existsSync(out)) return undefined;
  const steps = readdirSync(out)
    .map((f) => /^step_(0|[1-9]\d{0,11})\.safetensors$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((s) => existsSync(trainingStateFile(out, s)));
  return steps.length > 0 ? Math.max(...steps) : undefined;
}

/** Refuses to write tensors holding NaN or infinities: a diverged model must not pass for a checkpoint. */
function refuseNonFinite(file: string, entries: Record<string, SafetensorsTensor>): void {
  for (const [name, t] of Object.entries(entries)) {
    const bad = firstNonFinite(t.data as ArrayLike<number>);
    if (bad >= 0) throw new Error(`refusing to write ${file}: tensor '${name}' holds ${t.data[bad]} at index ${bad} (training diverged)`);
  }
}

export async function writeModelCheckpoint(file: string, model: HRM, config: HRMConfig, step?: number): Promise<void> {
  const metadata: Record<string, string> = { format: 'pt', [CONFIG_KEY]: JSON.stringify(config) };
  if (step !== undefined) metadata.step = String(step);
  const entries = await weightEntries(model);
  refuseNonFinite(file, entries);
  await writeSafetensorsFile(file, entries, metadata);
}

/** Writes step `trainer.step`'s checkpoint (the trainer must be flushed); an existing checkpoint of that step is kept as it is. */
export async function writeTrainingCheckpoint(out: string, trainer: Trainer, config: HRMConfig, training: TrainingConfig, elapsed: number): Promise<void> {
  if (existsSync(weightsFile(out, trainer.step)) && existsSync(trainingStateFile(out, trainer.step))) return;
  const file = trainingStateFile(out, trainer.step);
  const { entries, skeleton } = await encodeState(trainer.snapshot(), 'state');
  refuseNonFinite(file, entries);
  const meta: TrainingMetadata = { step: trainer.step, elapsed, training, snapshot: skeleton };
  await writeSafetensorsFile(file, entries, { [TRAINING_KEY]: JSON.stringify(meta), [CONFIG_KEY]: JSON.stringify(config) });
  await writeModelCheckpoint(weightsFile(out, trainer.step), trainer.model, config, trainer.step);
}

/**
 * Loads step `step`'s weights into `model` and returns the trainer state saved with them, after
 * checking every stored field (the step must match the file's name, counts must be
 * non-negative integers, tensors must fit the model and batch and be finite).
 */
export async function readTrainingCheckpoint(
  out: string,
  step: number,
  model: HRM,
  batchSize: number,
): Promise<{ snapshot: TrainerSnapshot; elapsed: number; training: TrainingConfig }> {
  const weights = await readCheckpointFile(weightsFile(out, step));
  for (const [name, t] of weights) {
    const bad = firstNonFinite(t.data as ArrayLike<number>);
    if (bad >= 0) throw new Error(`${weightsFile(out, step)}: tensor '${name}' holds ${t.data[bad]} at index ${bad}; cannot resume from non-finite weights`);
  }
  loadWeights(model, weights, weightsFile(out, step));
  const file = trainingStateFile(out, step);
  const state = await readCheckpointFile(file);
  const raw = state.metadata[TRAINING_KEY];
  if (raw === undefined) throw new Error(`${file}: no '${TRAINING_KEY}' metadata; not a training checkpoint`);
  const meta = parseJsonMetadata(file, TRAINING_KEY, raw);
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new Error(`${file}: metadata '${TRAINING_KEY}' must be an object`);
  const { training, snapshot, ...scalars } = meta as Record<string, unknown>;
  const { step: storedStep, elapsed } = parseSettings(TRAINING_METADATA_SCHEMA, scalars, `${file} (metadata '${TRAINING_KEY}')`);
  if (storedStep !== step) throw new Error(`${file}: metadata '${TRAINING_KEY}' says step ${storedStep}, the file name step ${step}`);
  const trainingConfig = validateTrainingConfig(training, `${file} (metadata '${TRAINING_KEY}' "training")`);
  const decoded = decodeState(snapshot as Skeleton, state, file);
  return { snapshot: await checkSnapshot(decoded, { step, model, batchSize }, file), elapsed, training: trainingConfig };
}

/** The tensors of a checkpoint file or folder (safetensors or `torch.save`; see checkpoint-source.ts). */
export async function readCheckpointFile(file: string) {
  return (await readCheckpoint(file)).map;
}

/** The step a weights file records in its metadata, if any: a non-negative integer. */
export function storedStep(metadata: Record<string, string>, file: string): number | undefined {
  const raw = metadata.step;
  if (raw === undefined) return undefined;
  if (!/^(0|[1-9]\d{0,11})$/.test(raw)) throw new Error(`${file}: metadata 'step' must be a non-negative integer, found ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

export { storedConfig };

export interface CheckpointDescription {
  step?: number;
  prefix: string;
  config?: unknown;
  trainableParameters: number;
  tensors: { name: string; dtype: string; shape: number[] }[];
}

export async function describeCheckpoint(file: string): Promise<CheckpointDescription> {
  const { map, config } = await readCheckpoint(file);
  let prefix: string;
  try {
    prefix = checkpointPrefix(map.keys());
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const step = storedStep(map.metadata, file);
  return {
    ...(step !== undefined ? { step } : {}),
    prefix,
    ...(config !== undefined ? { config } : {}),
    trainableParameters: countCheckpointParameters(map),
    tensors: [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, t]) => ({ name, dtype: t.fileDtype, shape: t.shape })),
  };
}
