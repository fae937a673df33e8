/**
 * The HRM-ACT configuration with the official field names (spec section 1), its validation and
 * the values derived from it. `forward_dtype` is accepted for compatibility with official config
 * files and ignored: this implementation computes in f32 (f64 on the CPU backend for tests).
 */

import { int, num, oneOf, parseSettings, SettingsError, text, type Infer } from './schema.js';

export type PosEncodings = 'rope' | 'learned';
export type LossType = 'stablemax_cross_entropy' | 'softmax_cross_entropy';
/** 'one-step': the official 1-step gradient; 'bptt': backpropagation through the segment's whole recursion (research option). */
export type GradientMode = 'one-step' | 'bptt';

/**
 * Every field of the configuration with its hard bounds and meaning. The bounds are checked
 * before anything is allocated, so a stored configuration cannot make a command grow without
 * limit or loop for ever; `MAX_MODEL_BYTES` bounds the model's size as a whole.
 */
export const HRM_CONFIG_SCHEMA = {
  batch_size: int('global batch size (rows per training step); the model does not depend on it', { min: 1, max: 65536 }),
  seq_len: int('tokens per example (from the data)', { min: 1, max: 16384 }),
  vocab_size: int('token vocabulary size (from the data)', { min: 1, max: 1 << 20 }),
  num_puzzle_identifiers: int('puzzle identifiers, rows of the puzzle-embedding table (from the data)', { min: 1, max: 1 << 24 }),
  puzzle_emb_ndim: int('puzzle-embedding width (0: none)', { min: 0, max: 8192, default: 0 }),
  H_cycles: int('high-level cycles per segment', { min: 1, max: 64 }),
  L_cycles: int('low-level cycles per high-level cycle', { min: 1, max: 64 }),
  H_layers: int('transformer blocks of the high-level module', { min: 1, max: 64 }),
  L_layers: int('transformer blocks of the low-level module', { min: 1, max: 64 }),
  hidden_size: int('model width', { min: 1, max: 8192 }),
  num_heads: int('attention heads (must divide hidden_size)', { min: 1, max: 256 }),
  expansion: num('SwiGLU expansion factor', { min: 0, max: 64, minExclusive: true }),
  pos_encodings: oneOf<PosEncodings, { default?: PosEncodings }>('position encodings', ['rope', 'learned'], {}),
  rms_norm_eps: num('RMSNorm epsilon', { min: 0, max: 1, minExclusive: true, default: 1e-5 }),
  rope_theta: num('RoPE base', { min: 1, max: 1e9, default: 10000 }),
  halt_max_steps: int('most ACT segments per example', { min: 1, max: 1024 }),
  halt_exploration_prob: num('probability of a random minimum number of segments in training', { min: 0, max: 1 }),
  loss_type: oneOf<LossType, { default: LossType }>('token loss', ['stablemax_cross_entropy', 'softmax_cross_entropy'], { default: 'stablemax_cross_entropy' }),
  forward_dtype: text('accepted and ignored: this implementation computes in f32', {
    pattern: /^[a-z][a-z0-9_]{0,31}$/,
    patternDoc: 'at most 32 lower-case letters, digits or underscores',
    default: 'bfloat16',
  }),
  gradient: oneOf<GradientMode, { default: GradientMode }>('gradient through the recursion', ['one-step', 'bptt'], { default: 'one-step' }),
} as const;

export type HRMConfig = Infer<typeof HRM_CONFIG_SCHEMA>;

/** Keys official configuration files carry that the model does not need (checked, then dropped). */
const OFFICIAL_EXTRAS = ['name', 'causal', 'loss'] as const;
/** `name` is an official class path such as "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1". */
const NAME_PATTERN = /^[A-Za-z0-9_.@:-]{1,128}$/;

/** The largest model accepted: weights, gradients and both Adam moments, plus the puzzle table and its row gradients, in f32. */
export const MAX_MODEL_BYTES = 16 * 2 ** 30;

/**
 * Bytes the model and its training state take in f32: four copies of the trainable parameters
 * (weights, gradients, two AdamATan2 moments) and two of the puzzle-embedding table.
 */
export function modelMemoryBytes(config: HRMConfig): number {
  const h = config.hidden_size;
  const inter = swigluInnerSize(h, config.expansion);
  const block = 3 * h * h + h * h + 2 * inter * h + inter * h;
  const positions = config.pos_encodings === 'learned' ? modelSeqLen(config) * h : 0;
  const trainable = 2 * config.vocab_size * h + positions + 3 * h + (config.H_layers + config.L_layers) * block;
  const table = config.num_puzzle_identifiers * config.puzzle_emb_ndim;
  return 4 * (4 * trainable + 2 * table + 2 * h);
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Checks a parsed configuration object (for example a JSON file's content) and returns a complete
 * HRMConfig with defaults filled in. Errors name the source (a file name, "preset sudoku", ...),
 * the field, what was expected and what was found.
 */
export function validateConfig(obj: unknown, source: string): HRMConfig {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new SettingsError(`${source}: expected a configuration object, found ${obj === null ? 'null' : Array.isArray(obj) ? 'a list' : typeof obj}.`);
  }
  const input = { ...(obj as Record<string, unknown>) };
  if (input.name !== undefined && !(typeof input.name === 'string' && NAME_PATTERN.test(input.name))) {
    throw new SettingsError(
      `${source}: field "name" must be a class path of at most 128 letters, digits and _.@:-, found ${JSON.stringify(input.name)?.slice(0, 80)}.`,
    );
  }
  if (input.causal !== undefined && input.causal !== false) {
    throw new SettingsError(`${source}: field "causal" must be false (HRM attention is non-causal), found ${JSON.stringify(input.causal)?.slice(0, 80)}.`);
  }
  const loss = input.loss as { loss_type?: unknown } | undefined;
  if (input.loss_type === undefined && loss && typeof loss === 'object' && loss.loss_type !== undefined) input.loss_type = loss.loss_type;

  const config = parseSettings(HRM_CONFIG_SCHEMA, input, source, { ignore: OFFICIAL_EXTRAS });
  if (config.hidden_size % config.num_heads !== 0) {
    throw new SettingsError(`${source}: field "hidden_size" (${config.hidden_size}) must be divisible by "num_heads" (${config.num_heads}).`);
  }
  if (config.pos_encodings === 'rope' && headDim(config) % 2 !== 0) {
    throw new SettingsError(`${source}: RoPE needs an even head dimension; hidden_size / num_heads = ${headDim(config)}.`);
  }
  const bytes = modelMemoryBytes(config);
  if (bytes > MAX_MODEL_BYTES) {
    throw new SettingsError(
      `${source}: the model and its training state would take ${gib(bytes)} (hidden_size ${config.hidden_size}, ` +
        `${config.H_layers}+${config.L_layers} layers, vocab_size ${config.vocab_size}, puzzle table ` +
        `${config.num_puzzle_identifiers} x ${config.puzzle_emb_ndim}); the limit is ${gib(MAX_MODEL_BYTES)}.`,
    );
  }
  return config;
}

/** Number of sequence positions the puzzle embedding occupies: ceil(puzzle_emb_ndim / hidden_size). */
export function puzzleEmbLen(config: HRMConfig): number {
  return Math.ceil(config.puzzle_emb_ndim / config.hidden_size);
}

/** Sequence length inside the model: seq_len plus the puzzle-embedding prefix. */
export function modelSeqLen(config: HRMConfig): number {
  return config.seq_len + puzzleEmbLen(config);
}

export function headDim(config: HRMConfig): number {
  return config.hidden_size / config.num_heads;
}

/** SwiGLU inner size: round(expansion * hidden * 2/3) rounded up to a multiple of 256 (models/layers.py). */
export function swigluInnerSize(hiddenSize: number, expansion: number): number {
  return 256 * Math.ceil(roundHalfEven((expansion * hiddenSize * 2) / 3) / 256);
}

/** Python's round(): ties to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The paper's architecture (config/arch/hrm_v1.yaml) around one dataset's sizes. */
function officialArch(data: Pick<HRMConfig, 'seq_len' | 'vocab_size' | 'num_puzzle_identifiers'>, overrides: Partial<HRMConfig>, name: string): HRMConfig {
  return validateConfig(
    {
      batch_size: 768,
      ...data,
      puzzle_emb_ndim: 512,
      H_cycles: 2,
      L_cycles: 2,
      H_layers: 4,
      L_layers: 4,
      hidden_size: 512,
      num_heads: 8,
      expansion: 4,
      pos_encodings: 'rope',
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      halt_max_steps: 16,
      halt_exploration_prob: 0.1,
      loss_type: 'stablemax_cross_entropy',
      forward_dtype: 'bfloat16',
      gradient: 'one-step',
      ...overrides,
    },
    name,
  );
}

/** Sudoku-Extreme: seq_len 81, vocab 11, one puzzle identifier. 27,275,266 trainable parameters. */
export function officialSudokuConfig(overrides: Partial<HRMConfig> = {}): HRMConfig {
  return officialArch({ seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1 }, overrides, 'preset sudoku');
}

/** Maze-Hard 30x30: seq_len 900, vocab 6, one puzzle identifier. */
export function officialMazeConfig(overrides: Partial<HRMConfig> = {}): HRMConfig {
  return officialArch({ seq_len: 900, vocab_size: 6, num_puzzle_identifiers: 1 }, overrides, 'preset maze');
}

/** ARC: seq_len 900, vocab 12; num_puzzle_identifiers comes from the built dataset's metadata. */
export function officialArcConfig(numPuzzleIdentifiers: number, overrides: Partial<HRMConfig> = {}): HRMConfig {
  return officialArch({ seq_len: 900, vocab_size: 12, num_puzzle_identifiers: numPuzzleIdentifiers }, overrides, 'preset arc');
}

/**
 * A small configuration for generated 4x4 Sudoku (tokens 0 PAD, 1 blank, 2..5 digits: vocab 6,
 * seq_len 16) that trains in minutes on a CPU. A suggestion: the demo may tune it.
 */
export function demoSudoku4x4Config(overrides: Partial<HRMConfig> = {}): HRMConfig {
  return validateConfig(
    {
      batch_size: 64,
      seq_len: 16,
      vocab_size: 6,
      num_puzzle_identifiers: 1,
      puzzle_emb_ndim: 64,
      H_cycles: 2,
      L_cycles: 2,
      H_layers: 1,
      L_layers: 1,
      hidden_size: 64,
      num_heads: 2,
      expansion: 2,
      pos_encodings: 'rope',
      halt_max_steps: 4,
      halt_exploration_prob: 0.1,
      loss_type: 'stablemax_cross_entropy',
      gradient: 'one-step',
      ...overrides,
    },
    'preset sudoku4x4',
  );
}
