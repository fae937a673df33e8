/**
 * The backend contract: what a device must do for the tensor engine, and nothing more.
 *
 * A backend owns storage (flat, contiguous, one dtype) and runs kernels over it. Every kernel
 * reads contiguous row-major inputs and returns a freshly allocated contiguous output, except the
 * few marked "in place" (region copies and optimiser updates). Shapes, broadcasting, views and
 * gradients live above this line in the Tensor front end, so a backend stays small: the CPU
 * backend is the oracle, the WebGPU backend must agree with it kernel by kernel.
 *
 * What this is not: no autodiff, no reference counting (the front end frees storage exactly once),
 * no dtype promotion (the front end casts first). Kernels receive sizes explicitly so that a
 * backend never needs to re-derive them.
 *
 * Semantics every backend shares (the CPU backend is the reference):
 * - float to i32 truncates toward zero and saturates; NaN becomes 0. i32 add and mul wrap around;
 *   i32 division by zero returns the dividend (as WGSL does).
 * - max/min/maximum/minimum propagate NaN; argmax/argmin pick the first extreme (or first NaN).
 *   Reducing an empty axis: sum 0, prod 1, the others throw.
 * - A fully masked attention row has output 0, lse -Infinity and zero gradients.
 * - Ids and labels out of range (other than ignoreIndex) are errors where the backend can check.
 */

export type DType = 'f32' | 'f64' | 'i32' | 'bool';

/** Typed array for each dtype as it is read back: bool is one byte per element (0 or 1). */
export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'f64' ? Float64Array : D extends 'i32' ? Int32Array : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Opaque handle to a backend's memory. Only the backend that made it may look inside. */
export interface Storage {
  readonly backend: BackendName;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

export type BackendName = 'cpu' | 'webgpu';

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'sigmoid'
  | 'silu'
  | 'relu'
  | 'abs'
  | 'sign'
  | 'square'
  | 'reciprocal'
  | 'sin'
  | 'cos'
  | 'floor'
  | 'not'; // bool -> bool (logical not); every other op keeps the dtype

export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | CompareOp | LogicalOp;

export type ReduceOp = 'sum' | 'max' | 'min' | 'prod' | 'argmax' | 'argmin';

/**
 * A strided view of a storage, used by `stridedCopy` to materialise transposes, permutes,
 * slices and broadcasts (stride 0) in one kernel.
 */
export interface StridedView {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

export interface MatmulParams {
  /** Number of matrices in the batch (output has batch * m * n elements). */
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] per batch item instead of [m, k]. */
  transA: boolean;
  /** B is stored [n, k] per batch item instead of [k, n]. */
  transB: boolean;
  /** Elements between batch items of A (0 broadcasts one matrix to every batch item). */
  aBatchStride: number;
  bBatchStride: number;
}

export interface AttentionParams {
  batch: number;
  heads: number;
  seqQ: number;
  seqK: number;
  headDim: number;
  scale: number;
}

/** Attention over a fused q/k/v projection: self-attention, so one sequence length. */
export interface PackedAttentionParams {
  batch: number;
  seq: number;
  heads: number;
  headDim: number;
  scale: number;
}

/** The attention over a packed projection's heads: queries and keys from the same sequence. */
export const selfAttentionParams = (p: PackedAttentionParams): AttentionParams => ({ ...p, seqQ: p.seq, seqK: p.seq });

/** Rotate-half RoPE tables [seq, headDim] (see `rope`). */
export interface RopeTables {
  cos: Storage;
  sin: Storage;
}

export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
}

export interface AdamHyper extends OptimizerHyper {
  beta1: number;
  beta2: number;
  /** 1-based step number used for bias correction. */
  step: number;
}

export interface Backend {
  readonly name: BackendName;
  /** Dtypes this backend can store (the CPU backend has f64, WebGPU does not). */
  readonly dtypes: readonly DType[];

  // ---- memory ----
  alloc(dtype: DType, size: number): Storage;
  free(storage: Storage): void;
  /** Upload host data; data.length must equal storage.size. */
  write(storage: Storage, data: AnyTypedArray): void;
  /** Asynchronous readback of the whole storage as a fresh typed array (bool as Uint8Array). */
  read(storage: Storage): Promise<AnyTypedArray>;
  /** Bytes currently allocated by this backend (for memory()). */
  bytesAllocated(): number;

  // ---- creation and movement ----
  fill(dtype: DType, size: number, value: number): Storage;
  cast(x: Storage, to: DType): Storage;
  /** Materialise a strided view of x as a contiguous storage of shape view.shape. */
  stridedCopy(x: Storage, view: StridedView): Storage;
  /**
   * In place: treat dst as [rows, dstRowLen] and src as [rows, srcRowLen]; copy src into the
   * columns [dstColOffset, dstColOffset + srcRowLen) of every row. Concat is built from this.
   */
  copyRegion(src: Storage, dst: Storage, rows: number, srcRowLen: number, dstRowLen: number, dstColOffset: number): void;

  // ---- elementwise ----
  unary(op: UnaryOp, x: Storage): Storage;
  /**
   * Broadcasting binary op. aShape and bShape have the same rank as outShape (size-1 dims
   * broadcast). Arithmetic ops keep the dtype; compare ops return bool; logical ops take bool.
   */
  binary(op: BinaryOp, a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[], outShape: readonly number[]): Storage;
  /** Broadcasting select: cond (bool) ? a : b; all shapes have outShape's rank. */
  where(
    cond: Storage,
    condShape: readonly number[],
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
  ): Storage;

  // ---- reductions ----
  /**
   * x viewed as [outer, reduce, inner]; result [outer, inner]. argmax/argmin return i32 and take
   * the first index of the extreme value. sum of bool returns i32.
   */
  reduce(op: ReduceOp, x: Storage, outer: number, reduce: number, inner: number): Storage;

  // ---- linear algebra ----
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage;

  // ---- indexing ----
  /** x viewed as [outer, n, inner], ids (i32, values in [0, n)) of length m: result [outer, m, inner]. */
  gather(x: Storage, ids: Storage, outer: number, n: number, inner: number): Storage;
  /** Inverse of gather for gradients: src [outer, m, inner] summed into zeros [outer, n, inner]; duplicate ids add. */
  scatterAdd(src: Storage, ids: Storage, outer: number, n: number, inner: number): Storage;

  // ---- fused neural-net kernels (rows = product of leading dims, cols = last dim) ----
  softmax(x: Storage, rows: number, cols: number): Storage;
  logSoftmax(x: Storage, rows: number, cols: number): Storage;
  /** dx = y * (dy - sum(dy * y)) per row, where y = softmax(x). */
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): Storage;
  /** dx = dy - exp(y) * sum(dy) per row, where y = logSoftmax(x). */
  logSoftmaxBackward(y: Storage, dy: Storage, rows: number, cols: number): Storage;
  /** y = x * rsqrt(mean(x^2) + eps) per row; also returns invRms [rows]. */
  rmsNorm(x: Storage, rows: number, cols: number, eps: number): { y: Storage; invRms: Storage };
  /** Gradient of rmsNorm: dx = r * (dy - y * mean(dy * y)), with r = invRms and y = x * r. */
  rmsNormBackward(dy: Storage, x: Storage, invRms: Storage, rows: number, cols: number): Storage;
  /** SwiGLU on gateUp [rows, 2*inter] (gate first): out [rows, inter] = silu(gate) * up. */
  swiglu(gateUp: Storage, rows: number, inter: number): Storage;
  /** Gradient of swiglu: d gateUp [rows, 2*inter] from dOut [rows, inter]. */
  swigluBackward(gateUp: Storage, dOut: Storage, rows: number, inter: number): Storage;
  /**
   * Rotate-half RoPE on x [batch, heads, seq, dim] with cos/sin [seq, dim]:
   * y = x * cos + rotateHalf(x) * sin, rotateHalf([x1, x2]) = [-x2, x1]. With `adjoint` it applies
   * the transposed map, the backward pass for any tables: dx = dy * cos - rotateHalf(dy * sin),
   * i.e. dx1 = dy1 cos1 + dy2 sin2 and dx2 = dy2 cos2 - dy1 sin1 (the inverse rotation when the
   * tables repeat across the two halves, as standard RoPE tables do).
   */
  rope(x: Storage, cos: Storage, sin: Storage, batch: number, heads: number, seq: number, dim: number, adjoint: boolean): Storage;
  /**
   * Non-causal scaled dot-product attention on [batch, heads, seq, headDim] tensors; returns the
   * output and the log-sum-exp of each query row [batch, heads, seqQ] (in scaled-score units).
   * `mask` (optional, f32 [seqQ, seqK]) is added to the scaled scores (use -Infinity to block).
   */
  attention(q: Storage, k: Storage, v: Storage, p: AttentionParams, mask?: Storage): { o: Storage; lse: Storage };
  attentionBackward(
    q: Storage,
    k: Storage,
    v: Storage,
    o: Storage,
    lse: Storage,
    dO: Storage,
    p: AttentionParams,
    mask?: Storage,
  ): { dq: Storage; dk: Storage; dv: Storage };
  /**
   * Self-attention straight from a fused projection qkv [batch, seq, 3 * heads * headDim] (per
   * token the q heads, then the k heads, then the v heads, headDim each), with RoPE on q and k when
   * `rope` is given; returns o [batch, seq, heads * headDim] (heads side by side per token, ready
   * for the output projection) and lse [batch, heads, seq]. The same values as `rope` on q and k,
   * `attention` and the transposes around them, without materialising those layouts.
   */
  packedAttention(qkv: Storage, p: PackedAttentionParams, rope?: RopeTables): { o: Storage; lse: Storage };
  /** d qkv [batch, seq, 3 * heads * headDim] from the forward's qkv, o, lse and dO (o's layout); q and k's through RoPE's adjoint. */
  packedAttentionBackward(qkv: Storage, o: Storage, lse: Storage, dO: Storage, p: PackedAttentionParams, rope?: RopeTables): Storage;
  /**
   * Per-row cross entropy of logits [rows, cols] against i32 labels [rows]; rows whose label equals
   * ignoreIndex get loss 0. `kind` picks softmax or stablemax (HRM spec section 5).
   */
  crossEntropy(logits: Storage, labels: Storage, rows: number, cols: number, ignoreIndex: number, kind: CrossEntropyKind): Storage;
  /**
   * d logits given dLoss [rows], zero for ignored rows: for softmax (p - onehot(label)) * dLoss;
   * for stablemax the exact derivative s'_j / S - [j = label] s'_l / s_l (s' = 1 for x >= 0,
   * s^2 for x < 0, with S the row sum of s), times dLoss.
   */
  crossEntropyBackward(logits: Storage, labels: Storage, dLoss: Storage, rows: number, cols: number, ignoreIndex: number, kind: CrossEntropyKind): Storage;

  // ---- optimiser updates (in place on param and moments) ----
  /** AdamATan2 (HRM spec section 6), decoupled weight decay first, no epsilon. */
  adamATan2Update(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper): void;
  adamWUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper & { eps: number }): void;
  /**
   * Sparse SignSGD on table [n, dim]: for each distinct row r in ids (i32 [m]) with summed
   * gradient g_r (grads [m, dim], duplicates summed): p_r <- p_r * (1 - lr*wd) - lr * sign(g_r).
   * Rows not in ids are untouched.
   */
  signSgdRows(table: Storage, ids: Storage, grads: Storage, n: number, dim: number, h: OptimizerHyper): void;

  /** Wait until all queued work is done (a no-op on the CPU). */
  sync(): Promise<void>;
}

export type CrossEntropyKind = 'softmax' | 'stablemax';

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4, bool: 1 };

export function typedArrayFor(dtype: DType, size: number): AnyTypedArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(size);
    case 'f64':
      return new Float64Array(size);
    case 'i32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}
