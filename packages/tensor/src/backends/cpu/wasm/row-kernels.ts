/**
 * WebAssembly SIMD versions of the f32 row and elementwise kernels: SwiGLU forward and backward
 * (an exponential per element), the score-row softmax (scale, mask, maximum, exponentials, sum,
 * normalise) and the fused attention built on it (attention-kernel.ts, with the packed attention's
 * head moves of head-layout.ts), RMSNorm forward and backward, and f32 add/sub/mul/div, in one
 * module with one memory. Operands are copied into the module's memory and results copied back:
 * even for the memory-bound kernels that round trip costs less than the TypeScript loops, whose
 * typed-array accesses V8 does not specialise to one element type (an f32 add: 0.5 ns an element
 * here against 2-2.6 in TypeScript).
 *
 * The exponential is the f32x4 one of exp-f32x4.ts (about 2 ulp). Row tails that do not fill a
 * vector run the same arithmetic on one lane. The TypeScript kernels stay the reference these are
 * tested against (row-kernels.test.ts) and the fallback when SIMD is off or missing (features.ts).
 */
import type { AttentionParams } from '../../../backend.js';
import { attentionFunctions } from './attention-kernel.js';
import { relaxedSimdSupported } from './features.js';
import { adamAtan2Function } from './adam-atan2.js';
import { moveHeadsFunction } from './head-layout.js';
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';
import { EXP_CONSTANTS, emitExp, expTemps } from './exp-f32x4.js';

type F = FunctionBuilder;
type V = Local<'v128'>;

/**
 * Emits `body(j, load, store, tail)` over elements [0, count) of a row: full f32x4 vectors first
 * (tail false), then the rest one element at a time (tail true: `load` splats it to every lane,
 * `store` writes lane 0). `load` and `store` take the byte address already on the stack.
 */
function rowLoop(f: F, count: Local<'i32'>, body: (j: Local<'i32'>, load: () => void, store: (value: () => void) => void, tail: boolean) => void): void {
  const j = f.local('i32');
  const [pairEnd, vectorEnd] = [f.local('i32'), f.local('i32')];
  f.get(count).i32.const(-8).i32.and().set(pairEnd);
  f.get(count).i32.const(-4).i32.and().set(vectorEnd);
  // Whole vectors, two per iteration (through the memarg offset), so that the two independent
  // chains of dependent arithmetic overlap; then a last single vector, then single elements.
  const vector = (offset: number) =>
    body(
      j,
      () => f.v128.load(offset, 2),
      (value) => {
        value();
        f.v128.store(offset, 2);
      },
      false,
    );
  f.forRange(
    j,
    () => f.i32.const(0),
    () => f.get(pairEnd),
    8,
    () => {
      vector(0);
      vector(16);
    },
  );
  f.forRange(
    j,
    () => f.get(pairEnd),
    () => f.get(vectorEnd),
    4,
    () => vector(0),
  );
  f.forRange(
    j,
    () => f.get(vectorEnd),
    () => f.get(count),
    1,
    () =>
      body(
        j,
        () => f.f32.load().f32x4.splat(),
        (value) => {
          value();
          f.f32x4.extract_lane(0).f32.store();
        },
        true,
      ),
  );
}

/** Pushes base + 4 * j (the byte address of f32 element j after `base`). */
function at(f: F, base: Local<'i32'>, j: Local<'i32'>): void {
  f.get(base).get(j).i32.const(2).i32.shl().i32.add();
}

/** The f32 arithmetic ops with a SIMD kernel over same-shaped operands. */
export const SIMD_ARITHMETIC = ['add', 'sub', 'mul', 'div'] as const;
export type SimdArithmetic = (typeof SIMD_ARITHMETIC)[number];

/** `${op}_f32`(x, y, out, n): out[i] = x[i] op y[i] for i < n, four lanes at a time. */
function arithmeticFunctions(module: ModuleBuilder): void {
  for (const op of SIMD_ARITHMETIC) {
    module.addFunction(
      { params: ['i32', 'i32', 'i32', 'i32'] },
      (f) => {
        const [x, y, out, n] = f.params;
        rowLoop(f, n, (j, load, store) => {
          at(f, out, j);
          store(() => {
            at(f, x, j);
            load();
            at(f, y, j);
            load();
            f.f32x4[op]();
          });
        });
      },
      `${op}_f32`,
    );
  }
}

/**
 * Sums over a row into an f32: whole vectors into `acc`, tail elements into `sum`; `value` pushes
 * the f32x4 term of element j (splatted for a tail element). Leaves the row's total in `sum`.
 */
function rowSum(f: F, cols: Local<'i32'>, acc: V, sum: Local<'f32'>, value: (j: Local<'i32'>, load: () => void) => void): void {
  f.f32.const(0).f32x4.splat().set(acc);
  f.f32.const(0).set(sum);
  rowLoop(f, cols, (j, load, _store, tail) => {
    value(j, load);
    if (tail) f.f32x4.extract_lane(0).get(sum).f32.add().set(sum);
    else f.get(acc).f32x4.add().set(acc);
  });
  horizontal(f, acc, true);
  f.get(sum).f32.add().set(sum);
}

function rmsNormFunctions(module: ModuleBuilder): void {
  // rms_norm(x, y, invRms, rows, cols, eps): per row r = 1 / sqrt(mean(x^2) + eps), y = x * r, invRms[row] = r.
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'f32'] },
    (f) => {
      const [x, y, invRms, rows, cols, eps] = f.params;
      const [acc, v, rV] = [f.local('v128'), f.local('v128'), f.local('v128')];
      const [row, xRow, yRow] = [f.local('i32'), f.local('i32'), f.local('i32')];
      const [sum, r] = [f.local('f32'), f.local('f32')];
      f.get(x).set(xRow);
      f.get(y).set(yRow);
      f.forRange(
        row,
        () => f.i32.const(0),
        () => f.get(rows),
        1,
        () => {
          rowSum(f, cols, acc, sum, (j, load) => {
            at(f, xRow, j);
            load();
            f.tee(v).get(v).f32x4.mul();
          });
          f.f32.const(1).get(sum).get(cols).f32.convert_i32_s().f32.div().get(eps).f32.add().f32.sqrt().f32.div().set(r);
          at(f, invRms, row);
          f.get(r).f32.store();
          f.get(r).f32x4.splat().set(rV);
          rowLoop(f, cols, (j, load, store) => {
            at(f, yRow, j);
            store(() => {
              at(f, xRow, j);
              load();
              f.get(rV).f32x4.mul();
            });
          });
          at(f, xRow, cols);
          f.set(xRow);
          at(f, yRow, cols);
          f.set(yRow);
        },
      );
    },
    'rms_norm',
  );
  // rms_norm_backward(dy, x, invRms, dx, rows, cols): dx = r * (dy - x * r * mean), mean = r * sum(dy * x) / cols.
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] },
    (f) => {
      const [dy, x, invRms, dx, rows, cols] = f.params;
      const [acc, rV, kV] = [f.local('v128'), f.local('v128'), f.local('v128')];
      const [row, off] = [f.local('i32'), f.local('i32')];
      const [sum, r] = [f.local('f32'), f.local('f32')];
      const rowAt = (base: Local<'i32'>, j: Local<'i32'>) => {
        at(f, base, j);
        f.get(off).i32.add();
      };
      f.i32.const(0).set(off);
      f.forRange(
        row,
        () => f.i32.const(0),
        () => f.get(rows),
        1,
        () => {
          at(f, invRms, row);
          f.f32.load().set(r);
          rowSum(f, cols, acc, sum, (j, load) => {
            rowAt(dy, j);
            load();
            rowAt(x, j);
            load();
            f.f32x4.mul();
          });
          f.get(r).f32x4.splat().set(rV);
          // k = r * mean = r * r * sum / cols
          f.get(r).get(r).f32.mul().get(sum).f32.mul().get(cols).f32.convert_i32_s().f32.div().f32x4.splat().set(kV);
          rowLoop(f, cols, (j, load, store) => {
            rowAt(dx, j);
            store(() => {
              rowAt(dy, j);
              load();
              rowAt(x, j);
              load();
              f.get(kV).f32x4.mul().f32x4.sub().get(rV).f32x4.mul();
            });
          });
          f.get(off).get(cols).i32.const(2).i32.shl().i32.add().set(off);
        },
      );
    },
    'rms_norm_backward',
  );
}

function swigluFunction(module: ModuleBuilder): void {
  // (gateUp, out, rows, inter): out[r, j] = silu(gate[r, j]) * up[r, j].
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32'] },
    (f) => {
      const [gateUp, out, rows, inter] = f.params;
      const c = EXP_CONSTANTS;
      const tmp = expTemps(f);
      const [g, e] = [f.local('v128'), f.local('v128')];
      const [row, gate, up, dst] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(gateUp).set(gate);
      f.get(out).set(dst);
      f.forRange(
        row,
        () => f.i32.const(0),
        () => f.get(rows),
        1,
        () => {
          at(f, gate, inter);
          f.set(up);
          rowLoop(f, inter, (j, load, store) => {
            at(f, gate, j);
            load();
            f.set(g);
            f.get(g).f32x4.neg().set(e);
            emitExp(f, c, tmp, e, e);
            at(f, dst, j);
            store(() => {
              f.get(g).get(e).v128.const(c.one).f32x4.add().f32x4.div();
              at(f, up, j);
              load();
              f.f32x4.mul();
            });
          });
          at(f, up, inter);
          f.set(gate);
          at(f, dst, inter);
          f.set(dst);
        },
      );
    },
    'swiglu',
  );
}

function swigluBackwardFunction(module: ModuleBuilder): void {
  // (gateUp, dOut, dGateUp, rows, inter): s = sigmoid(g); dg = dy * up * s * (1 + g * (1 - s)); dup = dy * g * s.
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32', 'i32'] },
    (f) => {
      const [gateUp, dOut, dGateUp, rows, inter] = f.params;
      const c = EXP_CONSTANTS;
      const tmp = expTemps(f);
      const [g, s, dy, u] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
      const [row, gate, up, dyRow, dGate, dUp] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(gateUp).set(gate);
      f.get(dOut).set(dyRow);
      f.get(dGateUp).set(dGate);
      f.forRange(
        row,
        () => f.i32.const(0),
        () => f.get(rows),
        1,
        () => {
          at(f, gate, inter);
          f.set(up);
          at(f, dGate, inter);
          f.set(dUp);
          rowLoop(f, inter, (j, load, store) => {
            at(f, gate, j);
            load();
            f.set(g);
            at(f, up, j);
            load();
            f.set(u);
            at(f, dyRow, j);
            load();
            f.set(dy);
            f.get(g).f32x4.neg().set(s);
            emitExp(f, c, tmp, s, s);
            f.v128.const(c.one).get(s).v128.const(c.one).f32x4.add().f32x4.div().set(s);
            at(f, dGate, j);
            store(() => {
              f.get(dy).get(u).f32x4.mul().get(s).f32x4.mul();
              f.v128.const(c.one).get(g).v128.const(c.one).get(s).f32x4.sub().f32x4.mul().f32x4.add();
              f.f32x4.mul();
            });
            at(f, dUp, j);
            store(() => f.get(dy).get(g).f32x4.mul().get(s).f32x4.mul());
          });
          at(f, up, inter);
          f.set(gate);
          at(f, dUp, inter);
          f.set(dGate);
          at(f, dyRow, inter);
          f.set(dyRow);
        },
      );
    },
    'swiglu_backward',
  );
}

/** Pushes the maximum (or with `sum` the sum) of v's four lanes, as an f32. */
function horizontal(f: F, v: V, sum: boolean): void {
  f.get(v).f32x4.extract_lane(0);
  for (const lane of [1, 2, 3]) {
    f.get(v).f32x4.extract_lane(lane);
    if (sum) f.f32.add();
    else f.f32.max();
  }
}

function softmaxRowsFunction(module: ModuleBuilder): number {
  // (scores, mask (0: none), rows, cols, scale, maxes, sums, saved): per row, s = scale * s + mask;
  // then with saved = 0 the row's maximum m goes to maxes[i], s = exp(s - m) / sum and the sum to
  // sums[i] (not normalised when m is not finite); with saved = 1, m = maxes[i] (a saved lse) and
  // s = exp(s - m). A row with m = -Infinity becomes zeros.
  return module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32', 'f32', 'i32', 'i32', 'i32'] },
    (f) => {
      const [scores, mask, rows, cols, scale, maxes, sums, saved] = f.params;
      const c = EXP_CONSTANTS;
      const tmp = expTemps(f);
      const [v, scaleV, maxV, sumV, mV] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
      const ordered = f.local('v128');
      const [row, rowPtr, maskPtr] = [f.local('i32'), f.local('i32'), f.local('i32')];
      const [m, sum] = [f.local('f32'), f.local('f32')];
      f.get(scale).f32x4.splat().set(scaleV);
      f.get(scores).set(rowPtr);
      f.get(mask).set(maskPtr);
      f.forRange(
        row,
        () => f.i32.const(0),
        () => f.get(rows),
        1,
        () => {
          // Pass 1: scale and mask in place, tracking the maximum with pmax (one instruction; it
          // skips NaN, so whether every score equals itself is tracked beside it: NaN wins, as in
          // the TypeScript kernel). A tail element fills all four lanes, leaving both unchanged.
          f.f32.const(-Infinity).f32x4.splat().set(maxV);
          f.v128.const(c.zero).v128.const(c.zero).f32x4.eq().set(ordered);
          rowLoop(f, cols, (j, load, store) => {
            at(f, rowPtr, j);
            load();
            f.get(scaleV).f32x4.mul().set(v);
            f.get(mask).if(() => {
              f.get(v);
              at(f, maskPtr, j);
              load();
              f.f32x4.add().set(v);
            });
            at(f, rowPtr, j);
            store(() => f.get(v));
            f.get(maxV).get(v).f32x4.pmax().set(maxV);
            f.get(ordered).get(v).get(v).f32x4.eq().v128.and().set(ordered);
          });
          f.get(saved).if(
            () => f.get(maxes).get(row).i32.const(2).i32.shl().i32.add().f32.load().set(m),
            () => {
              horizontal(f, maxV, false);
              f.set(m);
              f.get(ordered)
                .v128.not()
                .v128.any_true()
                .if(() => f.f32.const(NaN).set(m));
              f.get(maxes).get(row).i32.const(2).i32.shl().i32.add().get(m).f32.store();
            },
          );
          f.get(m).f32x4.splat().set(mV);
          f.f32.const(0).set(sum);
          f.get(m)
            .f32.const(-Infinity)
            .f32.eq()
            .if(
              // A fully masked row (or a saved lse of -Infinity) attends to nothing.
              () =>
                rowLoop(f, cols, (j, _load, store) => {
                  at(f, rowPtr, j);
                  store(() => f.f32.const(0).f32x4.splat());
                }),
              () => {
                // Pass 2: exponentials and their sum.
                f.f32.const(0).f32x4.splat().set(sumV);
                rowLoop(f, cols, (j, load, store, tail) => {
                  at(f, rowPtr, j);
                  load();
                  f.get(mV).f32x4.sub().set(v);
                  emitExp(f, c, tmp, v, v);
                  at(f, rowPtr, j);
                  store(() => f.get(v));
                  if (tail) f.get(sum).get(v).f32x4.extract_lane(0).f32.add().set(sum);
                  else f.get(sumV).get(v).f32x4.add().set(sumV);
                });
                horizontal(f, sumV, true);
                f.get(sum).f32.add().set(sum);
              },
            );
          f.get(saved)
            .i32.eqz()
            .if(() => {
              f.get(sums).get(row).i32.const(2).i32.shl().i32.add().get(sum).f32.store();
              // Pass 3 (finite m only: m - m is 0): normalise.
              f.get(m)
                .get(m)
                .f32.sub()
                .f32.const(0)
                .f32.eq()
                .if(() => {
                  f.f32.const(1).get(sum).f32.div().f32x4.splat().set(mV);
                  rowLoop(f, cols, (j, load, store) => {
                    at(f, rowPtr, j);
                    load();
                    f.get(mV).f32x4.mul().set(v);
                    at(f, rowPtr, j);
                    store(() => f.get(v));
                  });
                });
            });
          at(f, rowPtr, cols);
          f.set(rowPtr);
          f.get(mask).if(() => {
            at(f, maskPtr, cols);
            f.set(maskPtr);
          });
        },
      );
    },
    'softmax_rows',
  );
}

interface Exports extends Record<`${SimdArithmetic}_f32`, (x: number, y: number, out: number, n: number) => void> {
  swiglu(gateUp: number, out: number, rows: number, inter: number): void;
  adam_atan2(p: number, g: number, m: number, v: number, n: number, decay: number, mRate: number, vRate: number, stepSize: number, vScale: number): void;
  rms_norm(x: number, y: number, invRms: number, rows: number, cols: number, eps: number): void;
  rms_norm_backward(dy: number, x: number, invRms: number, dx: number, rows: number, cols: number): void;
  swiglu_backward(gateUp: number, dOut: number, dGateUp: number, rows: number, inter: number): void;
  softmax_rows(scores: number, mask: number, rows: number, cols: number, scale: number, maxes: number, sums: number, saved: number): void;
  attention_forward(...args: number[]): void;
  attention_backward(...args: number[]): void;
  move_heads(...args: number[]): void;
}

const PAGE = 65536;

/** AdamATan2's per-step constants: decay = 1 - lr wd, mRate = 1 - beta1, vRate = 1 - beta2, the bias-corrected step size and sqrt(1 - beta2^t). */
export interface AdamAtan2Constants {
  decay: number;
  mRate: number;
  vRate: number;
  stepSize: number;
  vScale: number;
}

/** move_heads modes (head-layout.ts). */
const [COPY, ROPE, ROPE_ADJOINT] = [0, 1, 2];

const padded = (n: number) => Math.ceil(n / 4) * 4;

/** Scratch regions of attention_forward beside its operands: Kt [d, kp], Vp [seqK, dp], the score rows, row maxima and sums. */
function forwardScratch(p: AttentionParams): number[] {
  const { seqQ, seqK, headDim: d } = p;
  const rows = p.batch * p.heads * seqQ;
  return [d * padded(seqK), seqK * padded(d), seqQ * seqK + 4, rows, rows];
}

/** Scratch regions of attention_backward beside its operands and gradients (attention-kernel.ts). */
function backwardScratch(p: AttentionParams): number[] {
  const { seqQ, seqK, headDim: d } = p;
  const [kp, dp] = [padded(seqK), padded(d)];
  return [d * kp, d * kp, seqK * dp, seqQ * dp, seqQ * dp, seqQ * seqK + 4, seqQ * seqK + 4, seqK * seqQ, seqK * seqQ];
}

/** The compiled module, its memory, and a bump allocator over it for one call's operands. */
class RowKernels {
  private readonly memory = new WebAssembly.Memory({ initial: 16 });
  private readonly exports: Exports;
  private heap = new Float32Array(this.memory.buffer);
  private top = 16;

  constructor(module: WebAssembly.Module) {
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as Exports;
  }

  /** Byte offsets of fresh regions of the given f32 lengths (16-byte aligned; valid for one call). */
  private regions(...lengths: number[]): number[] {
    this.top = 16;
    const offsets = lengths.map((n) => {
      const at = this.top;
      this.top += Math.ceil((n * 4) / 16) * 16;
      return at;
    });
    if (this.top > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((this.top - this.memory.buffer.byteLength) / PAGE));
      this.heap = new Float32Array(this.memory.buffer);
    }
    return offsets;
  }

  private put(at: number, data: Float32Array): void {
    this.heap.set(data, at / 4);
  }

  private take(at: number, out: Float32Array): void {
    out.set(this.heap.subarray(at / 4, at / 4 + out.length));
  }

  /** out = x op y elementwise (same lengths). */
  arithmetic(op: SimdArithmetic, x: Float32Array, y: Float32Array, out: Float32Array): void {
    const [xAt, yAt, outAt] = this.regions(x.length, y.length, out.length);
    this.put(xAt!, x);
    this.put(yAt!, y);
    this.exports[`${op}_f32`](xAt!, yAt!, outAt!, out.length);
    this.take(outAt!, out);
  }

  /**
   * AdamATan2 in place on the first `count` elements (a multiple of 4) of p, m and v (adam-atan2.ts);
   * the rest of the arrays is copied in and out unchanged.
   */
  adamAtan2(state: { p: Float32Array; g: Float32Array; m: Float32Array; v: Float32Array }, count: number, h: AdamAtan2Constants): void {
    const { p, g, m, v } = state;
    const [pAt, gAt, mAt, vAt] = this.regions(p.length, g.length, m.length, v.length);
    this.put(pAt!, p);
    this.put(gAt!, g);
    this.put(mAt!, m);
    this.put(vAt!, v);
    this.exports.adam_atan2(pAt!, gAt!, mAt!, vAt!, count, h.decay, h.mRate, h.vRate, h.stepSize, h.vScale);
    this.take(pAt!, p);
    this.take(mAt!, m);
    this.take(vAt!, v);
  }

  /** RMSNorm of x's rows into y, 1/rms per row into invRms. */
  rmsNorm(x: Float32Array, y: Float32Array, invRms: Float32Array, rows: number, cols: number, eps: number): void {
    const [xAt, yAt, rAt] = this.regions(x.length, y.length, invRms.length);
    this.put(xAt!, x);
    this.exports.rms_norm(xAt!, yAt!, rAt!, rows, cols, eps);
    this.take(yAt!, y);
    this.take(rAt!, invRms);
  }

  rmsNormBackward(dy: Float32Array, x: Float32Array, invRms: Float32Array, dx: Float32Array, rows: number, cols: number): void {
    const [dyAt, xAt, rAt, dxAt] = this.regions(dy.length, x.length, invRms.length, dx.length);
    this.put(dyAt!, dy);
    this.put(xAt!, x);
    this.put(rAt!, invRms);
    this.exports.rms_norm_backward(dyAt!, xAt!, rAt!, dxAt!, rows, cols);
    this.take(dxAt!, dx);
  }

  swiglu(gateUp: Float32Array, out: Float32Array, rows: number, inter: number): void {
    const [g, o] = this.regions(gateUp.length, out.length);
    this.put(g!, gateUp);
    this.exports.swiglu(g!, o!, rows, inter);
    this.take(o!, out);
  }

  swigluBackward(gateUp: Float32Array, dOut: Float32Array, dGateUp: Float32Array, rows: number, inter: number): void {
    const [g, d, dg] = this.regions(gateUp.length, dOut.length, dGateUp.length);
    this.put(g!, gateUp);
    this.put(d!, dOut);
    this.exports.swiglu_backward(g!, d!, dg!, rows, inter);
    this.take(dg!, dGateUp);
  }

  /** The whole attention forward (attention-kernel.ts): o and lse [batch * heads, seqQ] from q, k, v and the optional mask. */
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, p: AttentionParams, o: Float32Array, lse: Float32Array): void {
    const [qAt, kAt, vAt, oAt, maskAt, ...scratch] = this.regions(q.length, k.length, v.length, o.length + 4, mask ? mask.length : 0, ...forwardScratch(p));
    this.put(qAt!, q);
    this.put(kAt!, k);
    this.put(vAt!, v);
    if (mask) this.put(maskAt!, mask);
    this.runForward([qAt!, kAt!, vAt!, oAt!, mask ? maskAt! : 0], scratch, p, lse);
    this.take(oAt!, o);
  }

  /** The whole attention backward (attention-kernel.ts): dq, dk, dv from the forward's inputs, o, lse and dO. */
  attentionBackward(
    inputs: { q: Float32Array; k: Float32Array; v: Float32Array; o: Float32Array; lse: Float32Array; dO: Float32Array; mask: Float32Array | null },
    p: AttentionParams,
    grads: { dq: Float32Array; dk: Float32Array; dv: Float32Array },
  ): void {
    const { q, k, v, o, lse, dO, mask } = inputs;
    const operands = [q, k, v, o, dO, lse];
    const at = this.regions(
      ...operands.map((x) => x.length),
      mask ? mask.length : 0,
      ...[grads.dq, grads.dk, grads.dv].map((x) => x.length + 4),
      ...backwardScratch(p),
    );
    operands.forEach((data, i) => this.put(at[i]!, data));
    if (mask) this.put(at[6]!, mask);
    this.runBackward(at.slice(0, 6), mask ? at[6]! : 0, at.slice(7, 10), at.slice(10), p);
    this.take(at[7]!, grads.dq);
    this.take(at[8]!, grads.dk);
    this.take(at[9]!, grads.dv);
  }

  /**
   * Self-attention from a fused projection qkv [batch, seq, 3, heads, d] (RoPE on q and k with
   * `tables`): o [batch, seq, heads, d] and lse. The heads move between layouts in the module
   * (head-layout.ts), so that qkv is copied in and o out once.
   */
  packedAttentionForward(
    qkv: Float32Array,
    tables: { cos: Float32Array; sin: Float32Array } | null,
    p: AttentionParams,
    o: Float32Array,
    lse: Float32Array,
  ): void {
    const size = o.length;
    const [qkvAt, cosAt, sinAt, qAt, kAt, vAt, oHeadsAt, oAt, ...scratch] = this.regions(
      qkv.length,
      tables ? tables.cos.length : 0,
      tables ? tables.sin.length : 0,
      size,
      size,
      size,
      size + 4,
      size,
      ...forwardScratch(p),
    );
    this.put(qkvAt!, qkv);
    if (tables) this.putTables(cosAt!, sinAt!, tables);
    const rope = tables ? ROPE : COPY;
    this.moveHeads(qkvAt!, qAt!, p, 3, 0, true, cosAt!, sinAt!, rope);
    this.moveHeads(qkvAt!, kAt!, p, 3, 1, true, cosAt!, sinAt!, rope);
    this.moveHeads(qkvAt!, vAt!, p, 3, 2, true, 0, 0, COPY);
    this.runForward([qAt!, kAt!, vAt!, oHeadsAt!, 0], scratch, p, lse);
    this.moveHeads(oAt!, oHeadsAt!, p, 1, 0, false, 0, 0, COPY);
    this.take(oAt!, o);
  }

  /** The packed attention's backward: dqkv [batch, seq, 3, heads, d] from qkv, o, lse and dO (o's layout). */
  packedAttentionBackward(
    inputs: { qkv: Float32Array; o: Float32Array; lse: Float32Array; dO: Float32Array },
    tables: { cos: Float32Array; sin: Float32Array } | null,
    p: AttentionParams,
    dqkv: Float32Array,
  ): void {
    const { qkv, o, lse, dO } = inputs;
    const size = o.length;
    const at = this.regions(
      qkv.length,
      tables ? tables.cos.length : 0,
      tables ? tables.sin.length : 0,
      o.length,
      dO.length,
      dqkv.length,
      ...[size, size, size, size, size, lse.length],
      ...[size + 4, size + 4, size + 4],
      ...backwardScratch(p),
    );
    const [qkvAt, cosAt, sinAt, oAt, dOAt, dqkvAt] = at as [number, number, number, number, number, number];
    const heads = at.slice(6, 12);
    const grads = at.slice(12, 15);
    this.put(qkvAt, qkv);
    this.put(oAt, o);
    this.put(dOAt, dO);
    this.put(heads[5]!, lse);
    if (tables) this.putTables(cosAt, sinAt, tables);
    const [rope, adjoint] = tables ? [ROPE, ROPE_ADJOINT] : [COPY, COPY];
    this.moveHeads(qkvAt, heads[0]!, p, 3, 0, true, cosAt, sinAt, rope);
    this.moveHeads(qkvAt, heads[1]!, p, 3, 1, true, cosAt, sinAt, rope);
    this.moveHeads(qkvAt, heads[2]!, p, 3, 2, true, 0, 0, COPY);
    this.moveHeads(oAt, heads[3]!, p, 1, 0, true, 0, 0, COPY);
    this.moveHeads(dOAt, heads[4]!, p, 1, 0, true, 0, 0, COPY);
    this.runBackward(heads, 0, grads, at.slice(15), p);
    this.moveHeads(dqkvAt, grads[0]!, p, 3, 0, false, cosAt, sinAt, adjoint);
    this.moveHeads(dqkvAt, grads[1]!, p, 3, 1, false, cosAt, sinAt, adjoint);
    this.moveHeads(dqkvAt, grads[2]!, p, 3, 2, false, 0, 0, COPY);
    this.take(dqkvAt, dqkv);
  }

  private putTables(cosAt: number, sinAt: number, tables: { cos: Float32Array; sin: Float32Array }): void {
    this.put(cosAt, tables.cos);
    this.put(sinAt, tables.sin);
  }

  private moveHeads(
    tokens: number,
    heads: number,
    p: AttentionParams,
    groups: number,
    group: number,
    toHeads: boolean,
    cos: number,
    sin: number,
    mode: number,
  ): void {
    this.exports.move_heads(tokens, heads, p.batch, p.seqQ, p.heads, p.headDim, groups, group, toHeads ? 1 : 0, cos, sin, mode);
  }

  /** attention_forward on operands at [q, k, v, o, mask or 0] with the scratch of forwardScratch; lse from its row maxima and sums. */
  private runForward(operands: number[], scratch: number[], p: AttentionParams, lse: Float32Array): void {
    const [ktAt, vpAt, scoresAt, maxes, sums] = scratch as [number, number, number, number, number];
    const { seqQ, seqK, headDim: d, scale } = p;
    // The padding columns of Kt and Vp are never written per head: zero them once.
    this.heap.fill(0, ktAt / 4, scoresAt / 4);
    this.exports.attention_forward(...operands, ktAt, vpAt, scoresAt, maxes, sums, p.batch * p.heads, seqQ, seqK, d, scale);
    for (let i = 0; i < lse.length; i++) {
      const max = this.heap[maxes / 4 + i];
      lse[i] = Number.isFinite(max) ? max! + Math.log(this.heap[sums / 4 + i]!) : max!;
    }
  }

  /** attention_backward on operands at [q, k, v, o, dO, lse], the mask (or 0), grads at [dq, dk, dv] and the scratch of backwardScratch. */
  private runBackward(operands: number[], mask: number, grads: number[], scratch: number[], p: AttentionParams): void {
    // Zero the padding the per-head copies never write (Kt, Vt, and the padded K, Q, dO).
    this.heap.fill(0, scratch[0]! / 4, scratch[5]! / 4);
    this.exports.attention_backward(...operands, mask, ...grads, ...scratch, p.batch * p.heads, p.seqQ, p.seqK, p.headDim, p.scale);
  }

  /**
   * Attention's score rows in place (rows x cols at `scores`): softmax(scale * s + mask) with each
   * row's lse into lse[lseOffset + i], or with `saved` exp(scale * s + mask - lse) from the saved lse.
   */
  softmaxRows(
    scores: Float32Array,
    mask: Float32Array | null,
    rows: number,
    cols: number,
    scale: number,
    lse: Float32Array,
    lseOffset: number,
    saved: boolean,
  ): void {
    const [s, m, maxes, sums] = this.regions(scores.length, mask ? mask.length : 0, rows, rows);
    this.put(s!, scores);
    if (mask) this.put(m!, mask);
    const lseRows = lse.subarray(lseOffset, lseOffset + rows);
    if (saved) this.put(maxes!, lseRows);
    this.exports.softmax_rows(s!, mask ? m! : 0, rows, cols, scale, maxes!, sums!, saved ? 1 : 0);
    this.take(s!, scores);
    if (saved) return;
    for (let i = 0; i < rows; i++) {
      const max = this.heap[maxes! / 4 + i];
      lseRows[i] = Number.isFinite(max) ? max! + Math.log(this.heap[sums! / 4 + i]!) : max!;
    }
  }
}

let kernels: RowKernels | null = null;

/** The row kernels, compiled on first use (callers check cpuSimdEnabled() first). */
export function rowKernels(): RowKernels {
  if (!kernels) {
    const module = new ModuleBuilder().importMemory('env', 'memory', { initial: 16 });
    arithmeticFunctions(module);
    adamAtan2Function(module);
    rmsNormFunctions(module);
    swigluFunction(module);
    swigluBackwardFunction(module);
    attentionFunctions(module, softmaxRowsFunction(module), relaxedSimdSupported());
    moveHeadsFunction(module);
    kernels = new RowKernels(new WebAssembly.Module(module.build()));
  }
  return kernels;
}
