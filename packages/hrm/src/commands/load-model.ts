/** Builds a model from a checkpoint file and its configuration (stored in the file or given). */
import { Rng } from '@hrm-webgpu/tensor';
import { validateConfig, type HRMConfig } from '../config.js';
import { HRM, type FloatDType } from '../model/hrm.js';
import { loadWeights } from '../train/checkpoint.js';
import { readCheckpointFile, storedConfig, storedStep } from '../train/checkpoint-files.js';
import { readJsonFile, splitConfigObject } from './model-flags.js';

export interface LoadedModel {
  model: HRM;
  config: HRMConfig;
  step?: number;
}

export async function loadModel(file: string, configFile?: string, dtype: FloatDType = 'f32'): Promise<LoadedModel> {
  const map = await readCheckpointFile(file);
  let config: HRMConfig;
  if (configFile !== undefined) {
    const { arch, training } = splitConfigObject(readJsonFile(configFile, 'config file'), configFile);
    config = validateConfig({ batch_size: training.global_batch_size ?? 1, ...arch }, configFile);
  } else {
    const stored = storedConfig(map.metadata, file);
    if (stored === undefined) throw new Error(`${file} stores no configuration; pass --config FILE with the official field names`);
    config = validateConfig(stored, `${file} (stored configuration)`);
  }
  // The weights are overwritten right away; the seed only fixes the throw-away initial values.
  const model = new HRM(config, { rng: new Rng(0), dtype });
  loadWeights(model, map, file);
  const step = storedStep(map.metadata, file);
  return { model, config, ...(step !== undefined ? { step } : {}) };
}
