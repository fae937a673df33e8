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
import type { HRMConfig } from '../config.js';
import { HRM } from '../model/hrm.js';
import { checkpointPrefix, countCheckpointParameters, loadWeights, weightEntries } from './checkpoint.js';
import { CONFIG_KEY, readCheckpoint, storedConfig } from './checkpoint-source.js';
import { decodeState, encodeState, type Skeleton } from './state-codec.js';
import type { Trainer, TrainerSnapshot } from './trainer.js';
import type { TrainingConfig } from './training-config.js';

export const weightsFile = (out: string, step: number) => join(out, `step_${step}.safetensors`);
export const trainingStateFile = (out: string, step: number) => join(out, `step_${step}.train.safetensors`);

const TRAINING_KEY = 'hrm_training';

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
    .map((f) => /^step_(\d+)\.safetensors$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((s) => existsSync(trainingStateFile(out, s)));
  return steps.length > 0 ? Math.max(...steps) : undefined;
}

export async function writeModelCheckpoint(file: string, model: HRM, config: HRMConfig, step?: number): Promise<void> {
  const metadata: Record<string, string> = { format: 'pt', [CONFIG_KEY]: JSON.stringify(config) };
  if (step !== undefined) metadata.step = String(step);
  await writeSafetensorsFile(file, await weightEntries(model), metadata);
}

export async function writeTrainingCheckpoint(out: string, trainer: Trainer, config: HRMConfig, training: TrainingConfig, elapsed: number): Promise<void> {
  const { entries, skeleton } = await encodeState(trainer.snapshot(), 'state');
  const meta: TrainingMetadata = { step: trainer.step, elapsed, training, snapshot: skeleton };
  await writeSafetensorsFile(trainingStateFile(out, trainer.step), entries, { [TRAINING_KEY]: JSON.stringify(meta), [CONFIG_KEY]: JSON.stringify(config) });
  await writeModelCheckpoint(weightsFile(out, trainer.step), trainer.model, config, trainer.step);
}

/** Loads step `step`'s weights into `model` and returns the trainer state saved with them. */
export async function readTrainingCheckpoint(out: string, step: number, model: HRM): Promise<{ snapshot: TrainerSnapshot; elapsed: number }> {
  const weights = await readCheckpointFile(weightsFile(out, step));
  loadWeights(model, weights, weightsFile(out, step));
  const file = trainingStateFile(out, step);
  const state = await readCheckpointFile(file);
  const raw = state.metadata[TRAINING_KEY];
  if (raw === undefined) throw new Error(`${file}: no '${TRAINING_KEY}' metadata; not a training checkpoint`);
  const meta = JSON.parse(raw) as TrainingMetadata;
  return { snapshot: decodeState(meta.snapshot, state) as TrainerSnapshot, elapsed: meta.elapsed };
}

/** The tensors of a checkpoint file or folder (safetensors or `torch.save`; see checkpoint-source.ts). */
export async function readCheckpointFile(file: string) {
  return (await readCheckpoint(file)).map;
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
  const step = map.metadata.step === undefined ? undefined : Number(map.metadata.step);
  return {
    ...(step !== undefined ? { step } : {}),
    prefix,
    ...(config !== undefined ? { config } : {}),
    trainableParameters: countCheckpointParameters(map),
    tensors: [...map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, t]) => ({ name, dtype: t.fileDtype, shape: t.shape })),
  };
}
