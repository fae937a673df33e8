/**
 * The autodiff tape: what a forward op writes on its output so that backward() can differentiate
 * it later. An op records its name, its tensor inputs and the few values its gradient rule needs
 * (`SavedByOp`); the rules themselves live in gradients/, above the forward ops, so the ops import
 * only this module. Every op name here must have a rule there (the type of the rule table says so).
 */
import type { AttentionParams, CrossEntropyKind, DType, PackedAttentionParams, Storage } from './backend.js';
import { isGradEnabled } from './runtime.js';
import type { Tensor } from './tensor.js';

type Operand = Tensor | number;

/** Operands of a binary op as given (numbers stay numbers: they get no gradient). */
export interface BinarySaved {
  a: Operand;
  b: Operand;
}

/** Rows and columns of a last-axis kernel. */
export interface RowsSaved {
  rows: number;
  cols: number;
}

/** What each op keeps for its gradient rule, by op name. `null`: the inputs and output suffice. */
export interface SavedByOp {
  add: BinarySaved;
  sub: BinarySaved;
  mul: BinarySaved;
  div: BinarySaved;
  pow: BinarySaved;
  maximum: BinarySaved;
  minimum: BinarySaved;
  where: { cond: Tensor; a: Operand; b: Operand };
  cast: { from: DType };
  neg: null;
  exp: null;
  log: null;
  sqrt: null;
  rsqrt: null;
  tanh: null;
  sigmoid: null;
  silu: null;
  relu: null;
  abs: null;
  square: null;
  reciprocal: null;
  sin: null;
  cos: null;
  reshape: null;
  /** The inverse permutation. */
  permute: { inverse: readonly number[] };
  slice: { axis: number; lo: number; hi: number };
  concat: { axis: number; offsets: readonly number[] };
  expand: null;
  sum: null;
  /** Reduced axes, in the kept (keepdim) shape of the output. */
  max: { axes: readonly number[] };
  min: { axes: readonly number[] };
  matmul: { transA: boolean; transB: boolean };
  gather: { ids: Tensor; outer: number; n: number; inner: number };
  softmax: RowsSaved;
  logSoftmax: RowsSaved;
  rmsNorm: RowsSaved & { invRms: Tensor };
  rope: { cos: Tensor; sin: Tensor };
  attention: { p: AttentionParams; lse: Tensor; mask: Storage | undefined };
  packedAttention: { p: PackedAttentionParams; lse: Tensor; rope: { cos: Tensor; sin: Tensor } | undefined };
  swiglu: { rows: number; inter: number };
  softmaxCrossEntropy: CrossEntropySaved;
  stablemaxCrossEntropy: CrossEntropySaved;
  bceWithLogits: { targets: Operand };
}

export interface CrossEntropySaved extends RowsSaved {
  labels: Tensor;
  ignoreIndex: number;
  kind: CrossEntropyKind;
}

export type OpName = keyof SavedByOp;

/** How a tensor was made: its op, the tensor inputs that may need gradients, and the op's saved values. */
export interface TapeNode<K extends OpName = OpName> {
  readonly op: K;
  readonly inputs: readonly Tensor[];
  readonly saved: SavedByOp[K];
}

/**
 * A gradient rule: dL/d(each input) from dL/dout `g`, null for an input that needs none. Runs
 * without recording, inside a tidy scope that keeps only what it returns.
 */
export type GradRule<K extends OpName> = (g: Tensor, out: Tensor, node: TapeNode<K>) => readonly (Tensor | null)[];

/** Rules for a set of ops, one per op name. */
export type GradRules<K extends OpName> = { readonly [P in K]: GradRule<P> };

/** Records how `out` was made so backward() can reach `inputs`; a no-op when no input needs gradients. */
export function record<K extends OpName>(out: Tensor, op: K, inputs: readonly Tensor[], saved: SavedByOp[K]): Tensor {
  if (isGradEnabled() && needsGrad(inputs)) {
    out.gradNode = { op, inputs, saved } satisfies TapeNode<K>;
    out.requiresGrad = true;
  }
  return out;
}

/** Whether an op on these operands records (so hot paths can skip building the record). */
export function recording(a: Operand, b?: Operand): boolean {
  return isGradEnabled() && ((typeof a !== 'number' && a.requiresGrad) || (b !== undefined && typeof b !== 'number' && b.requiresGrad));
}

function needsGrad(inputs: readonly Tensor[]): boolean {
  for (let i = 0; i < inputs.length; i++) if (inputs[i]!.requiresGrad) return true;
  return false;
}
