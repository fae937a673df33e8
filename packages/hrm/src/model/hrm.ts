/**
 * The HRM inner model (spec 2): tensors keyed by official state-dict key, and the pieces a
 * segment is made of (input embedding, the L and H modules, the two heads). The recursion with
 * the 1-step gradient lives in segment.ts and the ACT wrapper in ../act.
 *
 * Every tensor the model owns is kept (outside every tidy scope) until dispose().
 */
import { Rng, type Tensor, full, nn, noGrad, reshape, slice, tensor, truncNormal } from '@hrm-webgpu/tensor';
import { type HRMConfig, headDim, modelSeqLen, puzzleEmbLen } from '../config.js';
import { DEFAULT_PREFIX, type StateDictEntries, loadStateDictInto } from '../state-dict.js';
import { inputEmbeddings } from './embedding.js';
import { type BlockContext, type BlockWeights, reasoningModule } from './layers.js';
import { KEYS, type Level, type TensorSpec, blockKeys, bufferSpecs, countTrainableParameters, parameterSpecs } from './params.js';
import { ropeTables } from './rope.js';

export type FloatDType = 'f32' | 'f64';

export interface HRMOptions {
  /** Seed of the initialisation (default 0); ignored when rng is given. */
  seed?: number;
  rng?: Rng;
  /** f32 (default) or f64 (CPU backend only; for gradient checks). */
  dtype?: FloatDType;
  /**
   * 'random' (default): the reference initialisation. 'zeros': every tensor zero, skipping the
   * random draws (seconds for the 27M-parameter models) when a state dict is loaded next.
   */
  init?: 'random' | 'zeros';
}

export interface HeadOutputs {
  /** `[B, seq_len, vocab]`: the puzzle-embedding positions are cut off. */
  logits: Tensor;
  /** [B] */
  qHaltLogits: Tensor;
  /** [B] */
  qContinueLogits: Tensor;
}

function create(spec: TensorSpec, rng: Rng | null, dtype: FloatDType): Tensor {
  if (!rng) return full(spec.shape, 0, { dtype });
  return spec.init.kind === 'truncNormal' ? truncNormal(spec.shape, { rng, std: spec.init.std, dtype }) : full(spec.shape, spec.init.value, { dtype });
}

export class HRM {
  readonly config: HRMConfig;
  readonly dtype: FloatDType;
  /** Trainable parameters by official key (no prefix), in creation order. */
  readonly parameters: Map<string, Tensor>;
  /** H_init, L_init and (with puzzle_emb_ndim > 0) puzzle_emb.weights: not touched by the dense optimiser. */
  readonly buffers: Map<string, Tensor>;
  private readonly rope: { cos: Tensor; sin: Tensor } | null;
  private readonly levels: Record<Level, BlockWeights[]>;

  constructor(config: HRMConfig, opts: HRMOptions = {}) {
    this.config = config;
    this.dtype = opts.dtype ?? 'f32';
    const rng = opts.init === 'zeros' ? null : (opts.rng ?? new Rng(opts.seed ?? 0));
    const made = noGrad(() => {
      const build = (specs: Map<string, TensorSpec>) => new Map([...specs].map(([key, spec]) => [key, create(spec, rng, this.dtype).keep()] as const));
      return { parameters: build(parameterSpecs(config)), buffers: build(bufferSpecs(config)) };
    });
    this.parameters = made.parameters;
    this.buffers = made.buffers;
    for (const p of this.parameters.values()) p.requiresGrad = true;
    this.levels = { H: this.levelWeights('H', config.H_layers), L: this.levelWeights('L', config.L_layers) };
    if (config.pos_encodings === 'rope') {
      const seq = modelSeqLen(config);
      const dim = headDim(config);
      const { cos, sin } = ropeTables(seq, dim, config.rope_theta, this.dtype === 'f32');
      this.rope = { cos: tensor(cos, { shape: [seq, dim], dtype: this.dtype }).keep(), sin: tensor(sin, { shape: [seq, dim], dtype: this.dtype }).keep() };
    } else this.rope = null;
  }

  private levelWeights(level: Level, layers: number): BlockWeights[] {
    return Array.from({ length: layers }, (_, i) => {
      const keys = blockKeys(level, i);
      return { qkv: this.param(keys.qkv), o: this.param(keys.o), gateUp: this.param(keys.gateUp), down: this.param(keys.down) };
    });
  }

  param(key: string): Tensor {
    const t = this.parameters.get(key);
    if (!t) throw new Error(`HRM: no parameter "${key}".`);
    return t;
  }

  buffer(key: string): Tensor {
    const t = this.buffers.get(key);
    if (!t) throw new Error(`HRM: no buffer "${key}".`);
    return t;
  }

  /** Number of sequence positions taken by the puzzle embedding. */
  get puzzleEmbLen(): number {
    return puzzleEmbLen(this.config);
  }

  /** The sparse puzzle-embedding table [num_puzzle_identifiers, puzzle_emb_ndim], or null without one. */
  get puzzleEmbTable(): Tensor | null {
    return this.buffers.get(KEYS.puzzleEmb) ?? null;
  }

  /** The tensors the dense optimiser (AdamATan2) updates. */
  trainableParameters(): Tensor[] {
    return [...this.parameters.values()];
  }

  /** Trainable parameter count (the puzzle table excluded): 27,275,266 for the official Sudoku config. */
  trainableParameterCount(): number {
    return countTrainableParameters(this.config);
  }

  private get context(): BlockContext {
    return { numHeads: this.config.num_heads, eps: this.config.rms_norm_eps, rope: this.rope };
  }

  /** Input embedding [B, S, hidden] of inputs i32 [B, seq_len] and the batch's puzzle rows [B, ndim]. */
  embed(inputs: Tensor, puzzleRows: Tensor | null): Tensor {
    const embedPos = this.config.pos_encodings === 'learned' ? this.param(KEYS.embedPos) : null;
    return inputEmbeddings(this.config, { embedTokens: this.param(KEYS.embedTokens), embedPos }, inputs, puzzleRows);
  }

  /** L step: z_L <- L(z_L, z_H + x). */
  stepL(zL: Tensor, injection: Tensor): Tensor {
    return reasoningModule(zL, injection, this.levels.L, this.context);
  }

  /** H step: z_H <- H(z_H, z_L). */
  stepH(zH: Tensor, zL: Tensor): Tensor {
    return reasoningModule(zH, zL, this.levels.H, this.context);
  }

  /** lm_head on the sequence positions, q_head on position 0 (the puzzle-embedding slot). */
  heads(zH: Tensor): HeadOutputs {
    const [batch, seq, hidden] = zH.shape as [number, number, number];
    const logits = nn.linear(slice(zH, 1, this.puzzleEmbLen, seq), this.param(KEYS.lmHead));
    const q = nn.linear(reshape(slice(zH, 1, 0, 1), [batch, hidden]), this.param(KEYS.qHeadWeight), this.param(KEYS.qHeadBias));
    return { logits, qHaltLogits: reshape(slice(q, 1, 0, 1), [batch]), qContinueLogits: reshape(slice(q, 1, 1, 2), [batch]) };
  }

  /**
   * Parameters and buffers under their official keys with `prefix` (default `model.inner.`, as the
   * official checkpoints). The tensors are the model's own: read them, do not dispose them.
   */
  stateDict(prefix: string = DEFAULT_PREFIX): Map<string, Tensor> {
    return new Map([...this.buffers, ...this.parameters].map(([k, t]) => [prefix + k, t] as const));
  }

  /**
   * Loads parameters and buffers from entries keyed with any official prefix (or none); every key
   * and shape is checked first, and errors name `source` and the offending keys.
   */
  loadStateDict(entries: StateDictEntries, opts: { source?: string } = {}): void {
    loadStateDictInto(new Map([...this.buffers, ...this.parameters]), entries, opts.source ?? 'state dict');
  }

  dispose(): void {
    for (const t of [...this.parameters.values(), ...this.buffers.values()]) t.dispose();
    this.rope?.cos.dispose();
    this.rope?.sin.dispose();
  }
}
