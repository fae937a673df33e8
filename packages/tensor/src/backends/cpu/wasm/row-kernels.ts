/**
 * WebAssembly SIMD versions of the f32 row kernels whose cost is arithmetic rather than memory
 * traffic: SwiGLU forward and backward (an exponential per element) and attention's score-row
 * softmax (scale, mask, maximum, exponentials, sum, normalise). Operands are copied into the
 * module's memory and results copied back, which is cheap beside the exponentials (memory-bound
 * kernels such as RMSNorm would gain nothing from that round trip and stay in TypeScript).
 *
 * The exponential is f32 throughout: Cody-Waite reduction by ln 2, the Cephes expf polynomial,
 * 2^k built in the exponent bits; about 2 ulp, exp(x) = 0 below -86.6 (results under 2^-125
 * flush to zero), +Infinity above ln(FLT_MAX), NaN for NaN. Row tails that do not fill a vector
 * run the same arithmetic on one lane. The TypeScript kernels stay the reference these are tested
 * against (row-kernels.test.ts) and the fallback when SIMD is off or missing (features.ts).
 */
import type { AttentionParams } from '../../../backend.js';
import { attentionForwardFunction } from './attention-kernel.js';
import { ModuleBuilder, type FunctionBuilder, type Local } from './emitter.js';

type F = FunctionBuilder;
type V = Local<'v128'>;

const EXP_LO = -86.6;
const EXP_HI = 88.72283935546875;
const MAGIC = 12582912; // 1.5 * 2^23: adding it rounds an f32 to an integer held in the low mantissa bits
const MAGIC_BITS = 0x4b400000;
// Cephes expf: exp(r) = 1 + r + r^2 * P(r) on |r| <= ln(2) / 2.
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** The 16 bytes of a v128 constant with `value` in every f32 lane. */
function f32x4(value: number): Uint8Array {
  return new Uint8Array(new Float32Array([value, value, value, value]).buffer);
}

/**
 * The exponential's constants, emitted inline as v128.const: kept in locals they outnumber the
 * vector registers and V8 spills them inside the loops.
 */
const C = {
  lo: f32x4(EXP_LO),
  hi: f32x4(EXP_HI),
  log2e: f32x4(Math.LOG2E),
  magic: f32x4(MAGIC),
  /** bits(magic) - 126 in every i32 lane: (bits(t) - that) << 23 is 2^(k - 1). */
  expBias: new Uint8Array(new Int32Array(4).fill(MAGIC_BITS - 126).buffer),
  ln2Hi: f32x4(0.693359375),
  ln2Lo: f32x4(-2.12194440e-4),
  poly: EXP_POLY.map(f32x4),
  one: f32x4(1),
  two: f32x4(2),
  inf: f32x4(Infinity),
  zero: f32x4(0),
};
type Constants = typeof C;

/** Scratch locals of the exponential. */
interface ExpTemps {
  xc: V;
  t: V;
  r: V;
  p: V;
}

function expTemps(f: F): ExpTemps {
  return { xc: f.local('v128'), t: f.local('v128'), r: f.local('v128'), p: f.local('v128') };
}

/** out = exp(x) lane-wise (x and out may be the same local). */
function emitExp(f: F, c: Constants, tmp: ExpTemps, x: V, out: V): void {
  const { xc, t, r, p } = tmp;
  f.get(x).v128.const(c.lo).f32x4.pmax().v128.const(c.hi).f32x4.pmin().set(xc); // NaN stays NaN
  f.get(xc).v128.const(c.log2e).f32x4.mul().v128.const(c.magic).f32x4.add().set(t);
  // r = xc - k ln 2 in two steps, k = t - magic.
  f.get(t).v128.const(c.magic).f32x4.sub().set(p);
  f.get(xc).get(p).v128.const(c.ln2Hi).f32x4.mul().f32x4.sub().get(p).v128.const(c.ln2Lo).f32x4.mul().f32x4.sub().set(r);
  // exp(r) = 1 + r + r^2 P(r), P(r) = c0 + c1 r + ... + c5 r^5 by Estrin's scheme,
  // (c0 + c1 r) + r^2 ((c2 + c3 r) + r^2 (c4 + c5 r)): half the dependent steps of Horner's.
  const [c5, c4, c3, c2, c1, c0] = c.poly;
  const r2 = xc;
  f.get(r).get(r).f32x4.mul().set(r2);
  f.get(r).v128.const(c5).f32x4.mul().v128.const(c4).f32x4.add().get(r2).f32x4.mul();
  f.get(r).v128.const(c3).f32x4.mul().v128.const(c2).f32x4.add().f32x4.add().get(r2).f32x4.mul();
  f.get(r).v128.const(c1).f32x4.mul().v128.const(c0).f32x4.add().f32x4.add();
  f.get(r2).f32x4.mul().get(r).f32x4.add().v128.const(c.one).f32x4.add();
  // Times 2 * 2^(k - 1) (2^(k - 1) stays a normal f32 for every k the clamp allows).
  f.v128.const(c.two).f32x4.mul();
  f.get(t).v128.const(c.expBias).i32x4.sub().i32.const(23).i32x4.shl().f32x4.mul().set(p);
  // Below the range: 0 (-Infinity included); above: +Infinity.
  f.get(p).get(x).v128.const(c.lo).f32x4.lt().v128.andnot().set(p);
  f.v128.const(c.inf).get(p).get(x).v128.const(c.hi).f32x4.gt().v128.bitselect().set(out);
}

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
  f.forRange(j, () => f.i32.const(0), () => f.get(pairEnd), 8, () => {
    vector(0);
    vector(16);
  });
  f.forRange(j, () => f.get(pairEnd), () => f.get(vectorEnd), 4, () => vector(0));
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

function swigluFunction(module: ModuleBuilder): void {
  // (gateUp, out, rows, inter): out[r, j] = silu(gate[r, j]) * up[r, j].
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32'] },
    (f) => {
      const [gateUp, out, rows, inter] = f.params;
      const c = C;
      const tmp = expTemps(f);
      const [g, e] = [f.local('v128'), f.local('v128')];
      const [row, gate, up, dst] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(gateUp).set(gate);
      f.get(out).set(dst);
      f.forRange(row, () => f.i32.const(0), () => f.get(rows), 1, () => {
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
      });
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
      const c = C;
      const tmp = expTemps(f);
      const [g, s, dy, u] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
      const [row, gate, up, dyRow, dGate, dUp] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(gateUp).set(gate);
      f.get(dOut).set(dyRow);
      f.get(dGateUp).set(dGate);
      f.forRange(row, () => f.i32.const(0), () => f.get(rows), 1, () => {
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
      });
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
      const c = C;
      const tmp = expTemps(f);
      const [v, scaleV, maxV, sumV, mV] = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
      const ordered = f.local('v128');
      const [row, rowPtr, maskPtr] = [f.local('i32'), f.local('i32'), f.local('i32')];
      const [m, sum] = [f.local('f32'), f.local('f32')];
      f.get(scale).f32x4.splat().set(scaleV);
      f.get(scores).set(rowPtr);
      f.get(mask).set(maskPtr);
      f.forRange(row, () => f.i32.const(0), () => f.get(rows), 1, () => {
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
            f.get(ordered).v128.not().v128.any_true().if(() => f.f32.const(NaN).set(m));
            f.get(maxes).get(row).i32.const(2).i32.shl().i32.add().get(m).f32.store();
          },
        );
        f.get(m).f32x4.splat().set(mV);
        f.f32.const(0).set(sum);
        f.get(m).f32.const(-Infinity).f32.eq().if(
          // A fully masked row (or a saved lse of -Infinity) attends to nothing.
          () => rowLoop(f, cols, (j, _load, store) => {
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
        f.get(saved).i32.eqz().if(() => {
          f.get(sums).get(row).i32.const(2).i32.shl().i32.add().get(sum).f32.store();
          // Pass 3 (finite m only: m - m is 0): normalise.
          f.get(m).get(m).f32.sub().f32.const(0).f32.eq().if(() => {
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
      });
    },
    'softmax_rows',
  );
}

interface Exports {
  swiglu(gateUp: number, out: number, rows: number, inter: number): void;
  swiglu_backward(gateUp: number, dOut: number, dGateUp: number, rows: number, inter: number): void;
  softmax_rows(scores: number, mask: number, rows: number, cols: number, scale: number, maxes: number, sums: number, saved: number): void;
  attention_forward(...args: number[]): void;
}

const PAGE = 65536;

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

  swiglu(gateUp: Float32Array, out: Float32Array, rows: number, inter: number): void {
    const [g, o] = this.regions(gateUp.length, out.length);
    this.put(g, gateUp);
    this.exports.swiglu(g, o, rows, inter);
    this.take(o, out);
  }

  swigluBackward(gateUp: Float32Array, dOut: Float32Array, dGateUp: Float32Array, rows: number, inter: number): void {
    const [g, d, dg] = this.regions(gateUp.length, dOut.length, dGateUp.length);
    this.put(g, gateUp);
    this.put(d, dOut);
    this.exports.swiglu_backward(g, d, dg, rows, inter);
    this.take(dg, dGateUp);
  }

  /** The whole attention forward (attention-kernel.ts): o and lse [batch * heads, seqQ] from q, k, v and the optional mask. */
  attentionForward(q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, p: AttentionParams, o: Float32Array, lse: Float32Array): void {
    const { seqQ, seqK, headDim: d, scale } = p;
    const heads = p.batch * p.heads;
    const [kp, dp] = [Math.ceil(seqK / 4) * 4, Math.ceil(d / 4) * 4];
    const rows = heads * seqQ;
    const [qAt, kAt, vAt, oAt, maskAt, ktAt, vpAt, scoresAt, maxes, sums] = this.regions(q.length, k.length, v.length, o.length + 4, mask ? mask.length : 0, d * kp, seqK * dp, seqQ * seqK + 4, rows, rows);
    this.put(qAt, q);
    this.put(kAt, k);
    this.put(vAt, v);
    if (mask) this.put(maskAt, mask);
    // The padding columns of Kt and Vp are never written per head: zero them once.
    this.heap.fill(0, ktAt / 4, ktAt / 4 + d * kp);
    this.heap.fill(0, vpAt / 4, vpAt / 4 + seqK * dp);
    this.exports.attention_forward(qAt, kAt, vAt, oAt, mask ? maskAt : 0, ktAt, vpAt, scoresAt, maxes, sums, heads, seqQ, seqK, d, scale);
    this.take(oAt, o);
    for (let i = 0; i < rows; i++) {
      const max = this.heap[maxes / 4 + i];
      lse[i] = Number.isFinite(max) ? max + Math.log(this.heap[sums / 4 + i]) : max;
    }
  }

  /**
   * Attention's score rows in place (rows x cols at `scores`): softmax(scale * s + mask) with each
   * row's lse into lse[lseOffset + i], or with `saved` exp(scale * s + mask - lse) from the saved lse.
   */
  softmaxRows(scores: Float32Array, mask: Float32Array | null, rows: number, cols: number, scale: number, lse: Float32Array, lseOffset: number, saved: boolean): void {
    const [s, m, maxes, sums] = this.regions(scores.length, mask ? mask.length : 0, rows, rows);
    this.put(s, scores);
    if (mask) this.put(m, mask);
    const lseRows = lse.subarray(lseOffset, lseOffset + rows);
    if (saved) this.put(maxes, lseRows);
    this.exports.softmax_rows(s, mask ? m : 0, rows, cols, scale, maxes, sums, saved ? 1 : 0);
    this.take(s, scores);
    if (saved) return;
    for (let i = 0; i < rows; i++) {
      const max = this.heap[maxes / 4 + i];
      lseRows[i] = Number.isFinite(max) ? max + Math.log(this.heap[sums / 4 + i]) : max;
    }
  }
}

let kernels: RowKernels | null = null;

/** The row kernels, compiled on first use (callers check cpuSimdEnabled() first). */
export function rowKernels(): RowKernels {
  if (!kernels) {
    const module = new ModuleBuilder().importMemory('env', 'memory', { initial: 16 });
    swigluFunction(module);
    swigluBackwardFunction(module);
    attentionForwardFunction(module, softmaxRowsFunction(module));
    kernels = new RowKernels(new WebAssembly.Module(module.build()));
  }
  return kernels;
}
