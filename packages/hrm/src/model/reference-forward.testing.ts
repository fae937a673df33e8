/**
 * A deliberately naive f64 re-implementation of one HRM segment over plain arrays, written
 * straight from the spec's formulas (section 2), for tests of the tensor implementation.
 */
import { type HRMConfig, modelSeqLen, puzzleEmbLen, swigluInnerSize } from '../config.js';

type Params = Map<string, Float64Array>;

function linear(x: Float64Array, rows: number, w: Float64Array, out: number, inp: number, bias?: Float64Array): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inp; i++) s += x[r * inp + i]! * w[o * inp + i]!;
      y[r * out + o] = s;
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, rows: number, d: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let i = 0; i < d; i++) ms += x[r * d + i]! ** 2;
    const inv = 1 / Math.sqrt(ms / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = x[r * d + i]! * inv;
  }
  return y;
}

const addArrays = (a: Float64Array, b: Float64Array): Float64Array => Float64Array.from(a, (v, i) => v + b[i]!);

/** One sequence [S, hidden] through one block. */
function block(cfg: HRMConfig, P: Params, prefix: string, h: Float64Array, S: number): Float64Array {
  const H = cfg.hidden_size;
  const heads = cfg.num_heads;
  const D = H / heads;
  const qkv = linear(h, S, P.get(`${prefix}.self_attn.qkv_proj.weight`)!, 3 * H, H);
  const rope = (vec: number[], t: number) => {
    if (cfg.pos_encodings !== 'rope') return vec;
    const half = D / 2;
    return vec.map((v, j) => {
      const angle = t * cfg.rope_theta ** (-(2 * (j % half)) / D);
      const rotated = j < half ? -vec[j + half]! : vec[j - half]!;
      return v * Math.cos(angle) + rotated * Math.sin(angle);
    });
  };
  const attn = new Float64Array(S * H);
  for (let hd = 0; hd < heads; hd++) {
    const get = (t: number, part: number) => Array.from(qkv.subarray(t * 3 * H + part * H + hd * D, t * 3 * H + part * H + (hd + 1) * D));
    const q = Array.from({ length: S }, (_, t) => rope(get(t, 0), t));
    const k = Array.from({ length: S }, (_, t) => rope(get(t, 1), t));
    const v = Array.from({ length: S }, (_, t) => get(t, 2));
    for (let t = 0; t < S; t++) {
      const scores = k.map((kk) => kk.reduce((s, kv, j) => s + kv * q[t]![j]!, 0) / Math.sqrt(D));
      const mx = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < D; j++) attn[t * H + hd * D + j] = e.reduce((s, w, u) => s + (w / z) * v[u]![j]!, 0);
    }
  }
  const h1 = rmsNorm(addArrays(h, linear(attn, S, P.get(`${prefix}.self_attn.o_proj.weight`)!, H, H)), S, H, cfg.rms_norm_eps);
  const inter = swigluInnerSize(H, cfg.expansion);
  const gu = linear(h1, S, P.get(`${prefix}.mlp.gate_up_proj.weight`)!, 2 * inter, H);
  const act = new Float64Array(S * inter);
  for (let t = 0; t < S; t++) {
    for (let i = 0; i < inter; i++) {
      const g = gu[t * 2 * inter + i]!;
      act[t * inter + i] = (g / (1 + Math.exp(-g))) * gu[t * 2 * inter + inter + i]!;
    }
  }
  return rmsNorm(addArrays(h1, linear(act, S, P.get(`${prefix}.mlp.down_proj.weight`)!, H, inter)), S, H, cfg.rms_norm_eps);
}

function reasoning(cfg: HRMConfig, P: Params, level: 'H' | 'L', z: Float64Array, injection: Float64Array, S: number): Float64Array {
  let h = addArrays(z, injection);
  const layers = level === 'H' ? cfg.H_layers : cfg.L_layers;
  for (let i = 0; i < layers; i++) h = block(cfg, P, `${level}_level.layers.${i}`, h, S);
  return h;
}

export interface ReferenceSegment {
  zH: Float64Array[];
  zL: Float64Array[];
  /** per batch row: [seq_len * vocab] */
  logits: Float64Array[];
  qHalt: number[];
  qContinue: number[];
}

/** One full segment (all cycles) for each row, from the given states [S * hidden] per row. */
export function referenceSegment(
  cfg: HRMConfig,
  P: Params,
  zH0: Float64Array[],
  zL0: Float64Array[],
  inputs: Int32Array,
  puzzleIds: Int32Array,
): ReferenceSegment {
  const H = cfg.hidden_size;
  const S = modelSeqLen(cfg);
  const prefix = puzzleEmbLen(cfg);
  const out: ReferenceSegment = { zH: [], zL: [], logits: [], qHalt: [], qContinue: [] };
  zH0.forEach((_, b) => {
    const x = new Float64Array(S * H);
    if (cfg.puzzle_emb_ndim > 0) {
      const table = P.get('puzzle_emb.weights')!;
      for (let i = 0; i < cfg.puzzle_emb_ndim; i++) x[i] = table[puzzleIds[b]! * cfg.puzzle_emb_ndim + i]!;
    }
    const tokens = P.get('embed_tokens.embedding_weight')!;
    for (let t = 0; t < cfg.seq_len; t++) {
      const id = inputs[b * cfg.seq_len + t]!;
      for (let i = 0; i < H; i++) x[(prefix + t) * H + i] = tokens[id * H + i]!;
    }
    if (cfg.pos_encodings === 'learned') {
      const pos = P.get('embed_pos.embedding_weight')!;
      for (let i = 0; i < x.length; i++) x[i] = 0.707106781 * (x[i]! + pos[i]!);
    }
    for (let i = 0; i < x.length; i++) x[i] = x[i]! * Math.sqrt(H);
    let zH = zH0[b]!;
    let zL = zL0[b]!;
    for (let h = 0; h < cfg.H_cycles; h++) {
      for (let l = 0; l < cfg.L_cycles; l++) zL = reasoning(cfg, P, 'L', zL, addArrays(zH, x), S);
      zH = reasoning(cfg, P, 'H', zH, zL, S);
    }
    out.zH.push(zH);
    out.zL.push(zL);
    out.logits.push(linear(zH.subarray(prefix * H), cfg.seq_len, P.get('lm_head.weight')!, cfg.vocab_size, H));
    const q = linear(zH.subarray(0, H), 1, P.get('q_head.weight')!, 2, H, P.get('q_head.bias')!);
    out.qHalt.push(q[0]!);
    out.qContinue.push(q[1]!);
  });
  return out;
}
