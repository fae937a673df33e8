/**
 * Builds a model from a checkpoint (a safetensors or `torch.save` file, or an official folder
 * with `checkpoint` + `all_config.yaml`) and its configuration (found with it, or given).
 */
import { existsSync, readFileSync } from 'node:fs';
import { Rng } from '@hrm-webgpu/tensor';
import { validateConfig, type HRMConfig } from '../config.js';
import { HRM, type FloatDType } from '../model/hrm.js';
import { officialConfigFromYaml } from '../official-config.js';
import { loadWeights } from '../train/checkpoint.js';
import { readCheckpoint } from '../train/checkpoint-source.js';
import { storedStep } from '../train/checkpoint-files.js';
import { readJsonFile, splitConfigObject } from './config-file.js';

export interface LoadedModel {
  model: HRM;
  config: HRMConfig;
  step?: number;
}

/** `configFile`: JSON with the official field names, or an official all_config.yaml. */
export async function loadModel(file: string, configFile?: string, dtype: FloatDType = 'f32'): Promise<LoadedModel> {
  const { map, source, config: found } = await readCheckpoint(file);
  let config: HRMConfig;
  if (configFile !== undefined && /\.ya?ml$/i.test(configFile)) {
    if (!existsSync(configFile)) throw new Error(`config file ${configFile} not found`);
    config = officialConfigFromYaml(readFileSync(configFile, 'utf8'), map, configFile);
  } else if (configFile !== undefined) {
    const { arch, training } = splitConfigObject(readJsonFile(configFile, 'config file'), configFile);
    config = validateConfig({ batch_size: training.global_batch_size ?? 1, ...arch }, configFile);
  } else if (found !== undefined) {
    config = found;
  } else {
    throw new Error(
      `${source.weights} stores no configuration and has no all_config.yaml beside it; pass --config FILE (JSON with the official field names, or all_config.yaml)`,
    );
  }
  // The weights are overwritten right away; the seed only fixes the throw-away initial values.
  const model = new HRM(config, { rng: new Rng(0), dtype });
  loadWeights(model, map, source.weights);
  const step = storedStep(map.metadata, source.weights);
  return { model, config, ...(step !== undefined ? { step } : {}) };
}
