/**
 * Model and training settings from the command line and JSON files, under the official names:
 * a preset, then a JSON file (flat, or with the model fields under "arch" as the reference's
 * Hydra configs have them), then individual flags, each overriding the one before.
 */
import { HRM_CONFIG_SCHEMA, validateConfig, type HRMConfig } from '../config.js';
import type { DatasetMetadata } from '../data/types.js';
import { PRESETS, presetArch, presetTraining, type Preset } from '../presets.js';
import { parseSettings, schemaFlagOptions, schemaFlagValues, schemaUsage, SettingsError, type Schema } from '../schema.js';
import { DEFAULT_TRAINING, TRAINING_SCHEMA, validateTrainingConfig, type TrainingConfig } from '../train/training-config.js';
import { readJsonFile, splitConfigObject } from '../node/config-file.js';
import { UsageError, type FlagSpec, type ParsedFlags } from './args.js';

/** Model fields that come from the data (or the training batch), not from flags. */
const DATA_KEYS = ['seq_len', 'vocab_size', 'num_puzzle_identifiers'] as const;
const NOT_FLAGS = new Set<string>([...DATA_KEYS, 'batch_size']);

/** The model fields settable by flag. */
const MODEL_FLAG_SCHEMA: Schema = Object.fromEntries(Object.entries(HRM_CONFIG_SCHEMA).filter(([k]) => !NOT_FLAGS.has(k)));
export const MODEL_KEYS = Object.keys(MODEL_FLAG_SCHEMA);

export { PRESETS, type Preset } from '../presets.js';

/** Every model and training field as a kebab-case flag, with the official snake_case name as an alias. */
export const settingFlags: FlagSpec = schemaFlagOptions(MODEL_FLAG_SCHEMA, TRAINING_SCHEMA);

export const settingUsage = [
  'Model (official snake_case names accepted too):',
  ...schemaUsage(MODEL_FLAG_SCHEMA),
  'Training:',
  ...schemaUsage(TRAINING_SCHEMA),
].join('\n');

function flagValues(flags: ParsedFlags): { arch: Record<string, unknown>; training: Record<string, unknown> } {
  const fail = (message: string) => new UsageError(message);
  return { arch: schemaFlagValues(MODEL_FLAG_SCHEMA, flags.values, fail), training: schemaFlagValues(TRAINING_SCHEMA, flags.values, fail) };
}

/** True when any model or training setting was given on the command line (under either spelling). */
export function settingGiven(flags: ParsedFlags): string | undefined {
  return Object.keys(settingFlags).find((k) => flags.values[k] !== undefined);
}

export interface SettingsSources {
  preset?: string;
  configFile?: string;
  flags: ParsedFlags;
  /** Applied after the preset and file, before the flags (e.g. the demo's tuned values). */
  defaults?: { arch?: Partial<HRMConfig>; training?: Partial<TrainingConfig> };
}

/** The model and training configuration of a run on data described by `meta`. */
export function resolveSettings(src: SettingsSources, meta: DatasetMetadata): { arch: HRMConfig; training: TrainingConfig } {
  let preset: Preset | undefined;
  if (src.preset !== undefined) {
    if (!(PRESETS as readonly string[]).includes(src.preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}; got '${src.preset}'`);
    preset = src.preset as Preset;
  }
  const file = src.configFile ? splitConfigObject(readJsonFile(src.configFile, 'config file'), src.configFile) : { arch: {}, training: {} };
  const flags = flagValues(src.flags);
  const arch: Record<string, unknown> = {
    ...(preset ? presetArch(preset, meta) : {}),
    ...src.defaults?.arch,
    ...file.arch,
    ...flags.arch,
  };
  const source = src.configFile ?? (preset ? `preset ${preset}` : 'flags');
  const training = parseSettings(
    TRAINING_SCHEMA,
    { ...DEFAULT_TRAINING, ...(preset ? presetTraining(preset) : {}), ...src.defaults?.training, ...file.training, ...flags.training },
    source,
  );
  for (const k of DATA_KEYS) {
    if (arch[k] !== undefined && arch[k] !== meta[k]) {
      throw new SettingsError(`${source}: ${k} is ${arch[k]} in the configuration but ${meta[k]} in the data`);
    }
    arch[k] = meta[k];
  }
  arch.batch_size = training.global_batch_size;
  if (arch.puzzle_emb_ndim === undefined && arch.hidden_size !== undefined) arch.puzzle_emb_ndim = arch.hidden_size;
  const config = validateConfig(arch, source);
  return { arch: config, training: validateTrainingConfig(training, source) };
}
