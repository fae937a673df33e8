/**
 * Model and training settings from the command line and JSON files, under the official names:
 * a preset, then a JSON file (flat, or with the model fields under "arch" as the reference's
 * Hydra configs have them), then individual flags, each overriding the one before.
 */
import { readFileSync, existsSync } from 'node:fs';
import {
  demoSudoku4x4Config,
  officialArcConfig,
  officialMazeConfig,
  officialSudokuConfig,
  validateConfig,
  type HRMConfig,
} from '../config.js';
import type { DatasetMetadata } from '../data/types.js';
import { SUDOKU9_TRAINING, sudoku9Config } from '../train/sudoku9.js';
import { DEFAULT_TRAINING, isIntegerTrainingKey, TRAINING_KEYS, type TrainingConfig } from '../train/training-config.js';
import { parseNumber, UsageError, type FlagSpec, type ParsedFlags } from './args.js';

/** Model fields settable by flag; seq_len, vocab_size and num_puzzle_identifiers come from the data. */
export const MODEL_KEYS = [
  'H_cycles', 'L_cycles', 'H_layers', 'L_layers', 'hidden_size', 'num_heads', 'expansion', 'pos_encodings',
  'rms_norm_eps', 'rope_theta', 'halt_max_steps', 'halt_exploration_prob', 'puzzle_emb_ndim', 'loss_type',
  'forward_dtype', 'gradient',
] as const;
const DATA_KEYS = ['seq_len', 'vocab_size', 'num_puzzle_identifiers'] as const;
const STRING_MODEL_KEYS = new Set<string>(['pos_encodings', 'loss_type', 'forward_dtype', 'gradient']);
const INTEGER_MODEL_KEYS = new Set<string>(['H_cycles', 'L_cycles', 'H_layers', 'L_layers', 'hidden_size', 'num_heads', 'halt_max_steps', 'puzzle_emb_ndim']);

export const PRESETS = ['sudoku', 'maze', 'arc', 'sudoku4x4', 'sudoku9'] as const;
export type Preset = (typeof PRESETS)[number];

export const settingFlags: FlagSpec = Object.fromEntries(
  [...MODEL_KEYS, ...TRAINING_KEYS].map((k) => [k, { type: 'string' as const }]),
);

export const settingUsage = [
  `Model (official names): ${MODEL_KEYS.map((k) => `--${k}`).join(' ')}`,
  `Training (official names): ${TRAINING_KEYS.map((k) => `--${k}`).join(' ')}`,
].join('\n');

function presetArch(preset: Preset, meta: DatasetMetadata): Partial<HRMConfig> {
  const data = { seq_len: meta.seq_len, vocab_size: meta.vocab_size, num_puzzle_identifiers: meta.num_puzzle_identifiers };
  switch (preset) {
    case 'sudoku':
      return { ...officialSudokuConfig(), ...data };
    case 'maze':
      return { ...officialMazeConfig(), ...data };
    case 'arc':
      return officialArcConfig(meta.num_puzzle_identifiers);
    case 'sudoku4x4':
      return { ...demoSudoku4x4Config(), ...data };
    case 'sudoku9':
      return { ...sudoku9Config(), ...data };
  }
}

/** A preset that is a whole recipe also sets the training fields. */
function presetTraining(preset: Preset): Partial<TrainingConfig> {
  return preset === 'sudoku9' ? SUDOKU9_TRAINING : {};
}

export function readJsonFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new Error(`${what} ${file} not found`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
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

function flagValues(flags: ParsedFlags): { arch: Record<string, unknown>; training: Record<string, unknown> } {
  const arch: Record<string, unknown> = {};
  const training: Record<string, unknown> = {};
  for (const k of MODEL_KEYS) {
    const raw = flags.values[k];
    if (typeof raw !== 'string') continue;
    arch[k] = STRING_MODEL_KEYS.has(k) ? raw : parseNumber(`--${k}`, raw, INTEGER_MODEL_KEYS.has(k) ? 'integer' : 'number');
  }
  for (const k of TRAINING_KEYS) {
    const raw = flags.values[k];
    if (typeof raw === 'string') training[k] = parseNumber(`--${k}`, raw, isIntegerTrainingKey(k) ? 'integer' : 'number');
  }
  return { arch, training };
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
  const training = {
    ...DEFAULT_TRAINING,
    ...(preset ? presetTraining(preset) : {}),
    ...src.defaults?.training,
    ...file.training,
    ...flags.training,
  } as TrainingConfig;
  for (const k of Object.keys(training)) {
    if (!(TRAINING_KEYS as readonly string[]).includes(k)) throw new Error(`unknown training field "${k}"`);
  }
  for (const k of DATA_KEYS) {
    if (arch[k] !== undefined && arch[k] !== meta[k]) {
      throw new Error(`${k} is ${arch[k]} in the configuration but ${meta[k]} in the data`);
    }
    arch[k] = meta[k];
  }
  arch.batch_size = training.global_batch_size;
  if (arch.puzzle_emb_ndim === undefined && arch.hidden_size !== undefined) arch.puzzle_emb_ndim = arch.hidden_size;
  const source = src.configFile ?? (preset ? `preset ${preset}` : 'flags');
  return { arch: validateConfig(arch, source), training };
}
