/**
 * The model's tensors by official state-dict key (spec section 8, without prefix), their shapes
 * and initialisation (spec section 3). The HRM class builds its tensors from these specs and the
 * parameter count comes from them, so both always agree.
 */
import { type HRMConfig, modelSeqLen, swigluInnerSize } from '../config.js';

export type Init = { kind: 'truncNormal'; std: number } | { kind: 'constant'; value: number };

export interface TensorSpec {
  shape: number[];
  init: Init;
}

export type Level = 'H' | 'L';

/** Keys of one transformer block's weights; linear weights are [out, in]. */
export function blockKeys(level: Level, layer: number) {
  const base = `${level}_level.layers.${layer}`;
  return {
    qkv: `${base}.self_attn.qkv_proj.weight`,
    o: `${base}.self_attn.o_proj.weight`,
    gateUp: `${base}.mlp.gate_up_proj.weight`,
    down: `${base}.mlp.down_proj.weight`,
  };
}

export const KEYS = {
  embedTokens: 'embed_tokens.embedding_weight',
  embedPos: 'embed_pos.embedding_weight',
  lmHead: 'lm_head.weight',
  qHeadWeight: 'q_head.weight',
  qHeadBias: 'q_head.bias',
  hInit: 'H_init',
  lInit: 'L_init',
  puzzleEmb: 'puzzle_emb.weights',
} as const;

const linear = (out: number, inp: number): TensorSpec => ({ shape: [out, inp], init: { kind: 'truncNormal', std: 1 / Math.sqrt(inp) } });

/** Trainable parameters in creation order (the order fixes which random draws each one gets). */
export function parameterSpecs(config: HRMConfig): Map<string, TensorSpec> {
  const hidden = config.hidden_size;
  const inter = swigluInnerSize(hidden, config.expansion);
  const embedStd = 1 / Math.sqrt(hidden);
  const specs = new Map<string, TensorSpec>();
  specs.set(KEYS.embedTokens, { shape: [config.vocab_size, hidden], init: { kind: 'truncNormal', std: embedStd } });
  if (config.pos_encodings === 'learned') {
    specs.set(KEYS.embedPos, { shape: [modelSeqLen(config), hidden], init: { kind: 'truncNormal', std: embedStd } });
  }
  specs.set(KEYS.lmHead, linear(config.vocab_size, hidden));
  // Q head: zero weight and bias -5, so that sigmoid(q) starts near 0.0067 (halting is rare at first).
  specs.set(KEYS.qHeadWeight, { shape: [2, hidden], init: { kind: 'constant', value: 0 } });
  specs.set(KEYS.qHeadBias, { shape: [2], init: { kind: 'constant', value: -5 } });
  for (const [level, layers] of [
    ['H', config.H_layers],
    ['L', config.L_layers],
  ] as const) {
    for (let i = 0; i < layers; i++) {
      const keys = blockKeys(level, i);
      specs.set(keys.qkv, linear(3 * hidden, hidden));
      specs.set(keys.o, linear(hidden, hidden));
      specs.set(keys.gateUp, linear(2 * inter, hidden));
      specs.set(keys.down, linear(hidden, inter));
    }
  }
  return specs;
}

/** Fixed buffers: saved in the state dict, never updated by the dense optimiser. */
export function bufferSpecs(config: HRMConfig): Map<string, TensorSpec> {
  const specs = new Map<string, TensorSpec>();
  specs.set(KEYS.hInit, { shape: [config.hidden_size], init: { kind: 'truncNormal', std: 1 } });
  specs.set(KEYS.lInit, { shape: [config.hidden_size], init: { kind: 'truncNormal', std: 1 } });
  if (config.puzzle_emb_ndim > 0) {
    // Trained by sparse SignSGD, zero at start.
    specs.set(KEYS.puzzleEmb, { shape: [config.num_puzzle_identifiers, config.puzzle_emb_ndim], init: { kind: 'constant', value: 0 } });
  }
  return specs;
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Trainable parameters (the puzzle-embedding table excluded), counted from the specs. */
export function countTrainableParameters(config: HRMConfig): number {
  let total = 0;
  for (const spec of parameterSpecs(config).values()) total += elements(spec.shape);
  return total;
}
