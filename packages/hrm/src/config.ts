/**
 * The HRM-ACT configuration with the official field names (spec section 1), its validation and
 * the values derived from it. `forward_dtype` is accepted for compatibility with official config
 * files and ignored: this implementation computes in f32 (f64 on the CPU backend for tests).
 */

export type PosEncodings = 'rope' | 'learned';
export type LossType = 'stablemax_cross_entropy' | 'softmax_cross_entropy';
/** 'one-step': the official 1-step gradient; 'bptt': backpropagation through the segment's whole recursion (research option). */
export type GradientMode = 'one-step' | 'bptt';

export interface HRMConfig {
  /** Global batch size (rows per training step). The model itself does not depend on it. */
  batch_size: number;
  seq_len: number;
  vocab_size: number;
  num_puzzle_identifiers: number;
  puzzle_emb_ndim: number;
  H_cycles: number;
  L_cycles: number;
  H_layers: number;
  L_layers: number;
  hidden_size: number;
  num_heads: number;
  expansion: number;
  pos_encodings: PosEncodings;
  rms_norm_eps: number;
  rope_theta: number;
  halt_max_steps: number;
  halt_exploration_prob: number;
  loss_type: LossType;
  /** Accepted and ignored (the official default is bfloat16; we compute in f32). */
  forward_dtype: string;
  gradient: GradientMode;
}

type FieldKind = 'positiveInt' | 'nonNegativeInt' | 'positiveNumber' | 'probability';

const NUMERIC_FIELDS: Record<string, FieldKind> = {
  batch_size: 'positiveInt',
  seq_len: 'positiveInt',
  vocab_size: 'positiveInt',
  num_puzzle_identifiers: 'positiveInt',
  puzzle_emb_ndim: 'nonNegativeInt',
  H_cycles: 'positiveInt',
  L_cycles: 'positiveInt',
  H_layers: 'positiveInt',
  L_layers: 'positiveInt',
  hidden_size: 'positiveInt',
  num_heads: 'positiveInt',
  expansion: 'positiveNumber',
  rms_norm_eps: 'positiveNumber',
  rope_theta: 'positiveNumber',
  halt_max_steps: 'positiveInt',
  halt_exploration_prob: 'probability',
};

const ENUM_FIELDS: Record<string, readonly string[]> = {
  pos_encodings: ['rope', 'learned'],
  loss_type: ['stablemax_cross_entropy', 'softmax_cross_entropy'],
  gradient: ['one-step', 'bptt'],
};

const DEFAULTS: Partial<HRMConfig> = {
  puzzle_emb_ndim: 0,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  forward_dtype: 'bfloat16',
  loss_type: 'stablemax_cross_entropy',
  gradient: 'one-step',
};

/**
 * Keys official configuration files carry that the model does not need: `name` (the arch name),
 * `causal` (must be false: attention is non-causal), `loss` ({name, loss_type}: the loss head).
 */
const TOLERATED_KEYS = new Set(['name', 'causal', 'loss']);

const KNOWN_KEYS = new Set([...Object.keys(NUMERIC_FIELDS), ...Object.keys(ENUM_FIELDS), 'forward_dtype']);

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function checkNumber(field: string, kind: FieldKind, value: unknown, source: string): number {
  const fail = (expected: string) => new Error(`${source}: config field "${field}" must be ${expected}, found ${describe(value)}.`);
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw fail(kind === 'probability' ? 'a number in [0, 1]' : kind.endsWith('Int') ? 'an integer' : 'a finite number');
  }
  switch (kind) {
    case 'positiveInt':
      if (!Number.isInteger(value) || value < 1) throw fail('a positive integer');
      break;
    case 'nonNegativeInt':
      if (!Number.isInteger(value) || value < 0) throw fail('a non-negative integer');
      break;
    case 'positiveNumber':
      if (value <= 0) throw fail('a positive number');
      break;
    case 'probability':
      if (value < 0 || value > 1) throw fail('a number in [0, 1]');
      break;
  }
  return value;
}

/**
 * Checks a parsed configuration object (for example a JSON file's content) and returns a complete
 * HRMConfig with defaults filled in. Errors name the field, what was expected and what was found;
 * `source` (a file name, "preset sudoku", ...) starts every message.
 */
export function validateConfig(obj: unknown, source: string): HRMConfig {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error(`${source}: expected a configuration object, found ${describe(obj)}.`);
  }
  const input = { ...(obj as Record<string, unknown>) };
  const unknown = Object.keys(input).filter((k) => !KNOWN_KEYS.has(k) && !TOLERATED_KEYS.has(k));
  if (unknown.length > 0) {
    throw new Error(`${source}: unknown config field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; known fields: ${[...KNOWN_KEYS].join(', ')}.`);
  }
  if (input.causal !== undefined && input.causal !== false) {
    throw new Error(`${source}: config field "causal" must be false (HRM attention is non-causal), found ${describe(input.causal)}.`);
  }
  const loss = input.loss as { loss_type?: unknown } | undefined;
  if (input.loss_type === undefined && loss && typeof loss === 'object' && loss.loss_type !== undefined) input.loss_type = loss.loss_type;

  const out: Record<string, unknown> = { ...DEFAULTS };
  for (const [field, kind] of Object.entries(NUMERIC_FIELDS)) {
    const value = input[field] ?? out[field];
    if (value === undefined) throw new Error(`${source}: config field "${field}" is required (${kind}), found nothing.`);
    out[field] = checkNumber(field, kind, value, source);
  }
  for (const [field, allowed] of Object.entries(ENUM_FIELDS)) {
    const value = input[field] ?? out[field];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      throw new Error(`${source}: config field "${field}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, found ${describe(value)}.`);
    }
    out[field] = value;
  }
  const dtype = input.forward_dtype ?? out.forward_dtype;
  if (typeof dtype !== 'string') throw new Error(`${source}: config field "forward_dtype" must be a string, found ${describe(dtype)}.`);
  out.forward_dtype = dtype;

  const config = out as unknown as HRMConfig;
  if (config.hidden_size % config.num_heads !== 0) {
    throw new Error(
      `${source}: config field "hidden_size" (${config.hidden_size}) must be divisible by "num_heads" (${config.num_heads}).`,
    );
  }
  if (config.pos_encodings === 'rope' && headDim(config) % 2 !== 0) {
    throw new Error(`${source}: RoPE needs an even head dimension; hidden_size / num_heads = ${headDim(config)}.`);
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
