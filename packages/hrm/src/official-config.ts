/**
 * The model configuration of an official checkpoint, from the `all_config.yaml` the reference's
 * training writes beside it (browser-safe). The YAML holds the architecture under `arch`; the
 * fields the reference takes from the dataset's metadata come from the weights where they show:
 * vocab_size (embed_tokens rows), num_puzzle_identifiers (puzzle_emb rows) and, with learned
 * positions, seq_len (embed_pos rows less the puzzle-embedding prefix). With RoPE, seq_len comes
 * from `arch.seq_len` when the YAML has it, else from the official dataset its `data_path` names
 * (Sudoku 81, Maze and ARC 900).
 */
import { parse } from 'yaml';
import { validateConfig, type HRMConfig } from './config.js';
import { KEYS } from './model/params.js';
import { stripOfficialPrefix } from './state-dict.js';

export const OFFICIAL_CONFIG_FILE = 'all_config.yaml';

/** seq_len of the official datasets, by a pattern of the `data_path` that built them. */
const OFFICIAL_SEQ_LEN: readonly [RegExp, number][] = [
  [/sudoku/i, 81],
  [/maze-30x30/i, 900],
  [/arc/i, 900],
];

type Shapes = ReadonlyMap<string, { shape: readonly number[] }>;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Resolves OmegaConf's sibling references (`${.hidden_size}`), as in the reference's arch files. */
function resolveSiblings(arch: Record<string, unknown>, source: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(arch)) {
    const ref = typeof value === 'string' ? /^\$\{\.(\w+)\}$/.exec(value) : null;
    if (ref && !(ref[1]! in arch)) throw new Error(`${source}: arch.${key} refers to arch.${ref[1]}, which is not there`);
    out[key] = ref ? arch[ref[1]!] : value;
  }
  return out;
}

function shapeOf(tensors: Shapes, key: string): readonly number[] | undefined {
  for (const [name, t] of tensors) if (stripOfficialPrefix(name) === key) return t.shape;
  return undefined;
}

/** Parses an `all_config.yaml` text and completes its `arch` with what the weights tell. */
export function officialConfigFromYaml(text: string, tensors: Shapes, source: string): HRMConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid YAML (${(e as Error).message})`);
  }
  if (!isObject(doc) || !isObject(doc.arch)) throw new Error(`${source}: expected the reference's all_config.yaml, with the model under "arch"`);
  const { name: _name, seq_len: yamlSeqLen, ...arch } = resolveSiblings(doc.arch, source);
  const embed = shapeOf(tensors, KEYS.embedTokens);
  if (embed?.length !== 2) throw new Error(`${source}: the weights have no ${KEYS.embedTokens} [vocab, hidden] tensor to take vocab_size from`);
  const puzzle = shapeOf(tensors, KEYS.puzzleEmb);
  const fields: Record<string, unknown> = {
    batch_size: typeof doc.global_batch_size === 'number' ? doc.global_batch_size : 1,
    ...arch,
    vocab_size: embed[0],
    num_puzzle_identifiers: puzzle?.[0] ?? 1,
  };
  fields.seq_len = yamlSeqLen ?? seqLenFromWeights(tensors, fields) ?? seqLenFromDataPath(doc.data_path, source);
  return validateConfig(fields, source);
}

function seqLenFromWeights(tensors: Shapes, fields: Record<string, unknown>): number | undefined {
  const pos = shapeOf(tensors, KEYS.embedPos);
  if (!pos || typeof fields.hidden_size !== 'number') return undefined;
  const ndim = typeof fields.puzzle_emb_ndim === 'number' ? fields.puzzle_emb_ndim : 0;
  return pos[0]! - Math.ceil(ndim / fields.hidden_size);
}

function seqLenFromDataPath(dataPath: unknown, source: string): number {
  const known = typeof dataPath === 'string' ? OFFICIAL_SEQ_LEN.find(([pattern]) => pattern.test(dataPath)) : undefined;
  if (!known) {
    throw new Error(
      `${source}: cannot tell seq_len: RoPE weights do not store it, the YAML has no arch.seq_len, and data_path ` +
        `${JSON.stringify(dataPath)} names none of the official datasets (sudoku, maze-30x30, arc); add seq_len under arch`,
    );
  }
  return known[1];
}
