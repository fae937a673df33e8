/**
 * The fused f32 attention forward and backward in WebAssembly SIMD: every (batch, head) in one
 * call, scores, softmax and products in the module's memory (the gemm per head paid its packing
 * and copies in JavaScript, more than the arithmetic at HRM's 82 x 82 x 32 heads).
 *
 * Per head: K is transposed into Kt [d, kp] (kp = seqK rounded up to 4, zero columns beyond seqK)
 * and V copied into Vp [seqK, dp] (dp = d rounded up to 4), so that both products take the form
 * C[i, :] = sum_k A[i, k] B[k, :] with B's rows in f32x4 vectors: S = Q Kt, then the row softmax
 * (softmax_rows, scale and mask included), then O = P Vp. C rows are written with row stride
 * seqK (resp. d): a row's last vector may spill up to 3 padding columns into the next row's
 * start, which is computed after it (regions have 4 elements of slack past the end).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from './emitter.js';

type F = FunctionBuilder;
type I = Local<'i32'>;

/** Pushes base + 4 * index (bytes of f32 element `index` after `base`). */
function at(f: F, base: I, index: () => void): void {
  f.get(base);
  index();
  f.i32.const(2).i32.shl().i32.add();
}

/**
 * rows_times(a, lda, b, ldb, c, ldc, m, k, vectors): C[i, 0 .. 4 vectors) = sum over kk < k of
 * A[i, kk] * B[kk, 0 .. 4 vectors), strides in elements, each sum in kk order. Rows go in pairs
 * (a last single row alone), four output vectors per pass over k: each B vector loaded feeds both
 * rows, each splat of A four multiply-adds (2 x 4 accumulators); the vectors past the last group
 * of four one at a time. With `fma` the multiply-adds are relaxed SIMD's fused ones.
 */
function rowsTimesFunction(module: ModuleBuilder, fma: boolean): number {
  return module.addFunction({ params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] }, (f) => {
    const [a, lda, b, ldb, c, ldc, m, k, vectors] = f.params;
    const i32 = () => f.local('i32');
    const [i, v, kk, aRow, cRow, bp, blockEnd, bStep, pairEnd, aRowBytes, cRowBytes] = [
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
      i32(),
    ];
    const acc = [0, 1].map(() => [0, 1, 2, 3].map(() => f.local('v128')));
    const bv = [0, 1, 2, 3].map(() => f.local('v128'));
    const splat = [f.local('v128'), f.local('v128')];
    f.get(vectors).i32.const(-4).i32.and().set(blockEnd);
    f.get(ldb).i32.const(2).i32.shl().set(bStep);
    f.get(lda).i32.const(2).i32.shl().set(aRowBytes);
    f.get(ldc).i32.const(2).i32.shl().set(cRowBytes);
    f.get(m).i32.const(-2).i32.and().set(pairEnd);
    /** `rows` (1 or 2) rows from aRow/cRow, `width` vectors from v. */
    const pass = (rows: number, width: number) => {
      for (let r = 0; r < rows; r++) for (let u = 0; u < width; u++) f.f32.const(0).f32x4.splat().set(acc[r]![u]!);
      // bp = b + 16 * v
      f.get(b).get(v).i32.const(4).i32.shl().i32.add().set(bp);
      f.forRange(
        kk,
        () => f.i32.const(0),
        () => f.get(k),
        1,
        () => {
          for (let r = 0; r < rows; r++) {
            at(f, aRow, () => f.get(kk));
            if (r > 0) f.get(aRowBytes).i32.add();
            f.v128.load32_splat().set(splat[r]!);
          }
          for (let u = 0; u < width; u++) {
            f.get(bp)
              .v128.load(16 * u, 2)
              .set(bv[u]!);
            for (let r = 0; r < rows; r++) {
              if (fma) f.get(splat[r]!).get(bv[u]!).get(acc[r]![u]!).f32x4.relaxed_madd();
              else f.get(acc[r]![u]!).get(splat[r]!).get(bv[u]!).f32x4.mul().f32x4.add();
              f.set(acc[r]![u]!);
            }
          }
          f.get(bp).get(bStep).i32.add().set(bp);
        },
      );
      for (let r = 0; r < rows; r++) {
        for (let u = 0; u < width; u++) {
          f.get(cRow).get(v).i32.const(4).i32.shl().i32.add();
          if (r > 0) f.get(cRowBytes).i32.add();
          f.get(acc[r]![u]!).v128.store(16 * u, 2);
        }
      }
    };
    /** for (v = first; v >= (floor ?? 0); v -= step) body() */
    const downFrom = (first: () => void, floor: Local<'i32'> | null, step: number, body: () => void) => {
      first();
      f.set(v);
      f.block((exit) =>
        f.loop((again) => {
          f.get(v);
          if (floor) f.get(floor);
          else f.i32.const(0);
          f.i32.lt_s().brIf(exit);
          body();
          f.get(v).i32.const(step).i32.sub().set(v);
          f.br(again);
        }),
      );
    };
    const rowsFrom = (rows: number, end: Local<'i32'>) =>
      f.forRange(
        i,
        () => f.get(i),
        () => f.get(end),
        rows,
        () => {
          // Last vectors first: a row's last vector may spill into the next row's first columns
          // (see the module comment), which this pass order writes afterwards, also within a pair.
          downFrom(
            () => f.get(vectors).i32.const(1).i32.sub(),
            blockEnd,
            1,
            () => pass(rows, 1),
          );
          downFrom(
            () => f.get(blockEnd).i32.const(4).i32.sub(),
            null,
            4,
            () => pass(rows, 4),
          );
          f.get(aRow).get(aRowBytes).i32.const(rows).i32.mul().i32.add().set(aRow);
          f.get(cRow).get(cRowBytes).i32.const(rows).i32.mul().i32.add().set(cRow);
        },
      );
    f.get(a).set(aRow);
    f.get(c).set(cRow);
    f.i32.const(0).set(i);
    rowsFrom(2, pairEnd);
    rowsFrom(1, m);
  });
}

/**
 * copy_2d(src, srcRowStride, srcColStride, dst, dstRowStride, rows, cols):
 * dst[r * dstRowStride + c] = src[r * srcRowStride + c * srcColStride] (transposes and paddings).
 */
function copy2dFunction(module: ModuleBuilder): number {
  return module.addFunction({ params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] }, (f) => {
    const [src, srcRow, srcCol, dst, dstRow, rows, cols] = f.params;
    const i32 = () => f.local('i32');
    const [r, from, to, end, srcRowBytes, srcColBytes, dstRowBytes] = [i32(), i32(), i32(), i32(), i32(), i32(), i32()];
    // Pointers stepped by byte strides: no multiplication per element.
    f.get(srcRow).i32.const(2).i32.shl().set(srcRowBytes);
    f.get(srcCol).i32.const(2).i32.shl().set(srcColBytes);
    f.get(dstRow).i32.const(2).i32.shl().set(dstRowBytes);
    f.forRange(
      r,
      () => f.i32.const(0),
      () => f.get(rows),
      1,
      () => {
        f.get(src).get(r).get(srcRowBytes).i32.mul().i32.add().set(from);
        f.get(dst).get(r).get(dstRowBytes).i32.mul().i32.add().tee(to).get(cols).i32.const(2).i32.shl().i32.add().set(end);
        f.block((exit) =>
          f.loop((again) => {
            f.get(to).get(end).i32.ge_u().brIf(exit);
            f.get(to).get(from).f32.load().f32.store();
            f.get(from).get(srcColBytes).i32.add().set(from);
            f.get(to).i32.const(4).i32.add().set(to);
            f.br(again);
          }),
        );
      },
    );
  });
}

/**
 * attention_forward(q, k, v, o, mask, kt, vp, scores, maxes, sums, heads, seqQ, seqK, d, scale):
 * q/o [heads, seqQ, d], k/v [heads, seqK, d]; kt (d x kp) and vp (seqK x dp) scratch whose padding
 * columns the caller zeroed; scores seqQ * seqK (+ 4 slack); maxes and sums [heads, seqQ] as
 * softmax_rows leaves them (the caller turns them into the lse).
 */
function attentionForwardFunction(module: ModuleBuilder, softmaxRows: number, rowsTimes: number, copy2d: number): void {
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32'] },
    (f) => {
      const [q, k, v, o, mask, kt, vp, scores, maxes, sums, heads, seqQ, seqK, d, scale] = f.params;
      const [h, kp, dp, qh, kh, vh, oh, vB, padded] = [
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
      ];
      f.get(seqK).i32.const(3).i32.add().i32.const(-4).i32.and().set(kp);
      f.get(d).i32.const(3).i32.add().i32.const(-4).i32.and().tee(dp).get(d).i32.ne().set(padded);
      f.get(q).set(qh);
      f.get(k).set(kh);
      f.get(v).set(vh);
      f.get(o).set(oh);
      f.forRange(
        h,
        () => f.i32.const(0),
        () => f.get(heads),
        1,
        () => {
          // Kt[c, j] = K[j, c]; Vp[j, c] = V[j, c] where d needs padding, else V itself.
          f.get(kh).i32.const(1).get(d).get(kt).get(kp).get(d).get(seqK).call(copy2d);
          f.get(vp).get(vh).get(padded).select().set(vB);
          f.get(padded).if(() => f.get(vh).get(d).i32.const(1).get(vp).get(dp).get(seqK).get(d).call(copy2d));
          // S = Q Kt; softmax rows (scale, mask, lse parts); O = P Vp.
          f.get(qh).get(d).get(kt).get(kp).get(scores).get(seqK).get(seqQ).get(d).get(kp).i32.const(2).i32.shr_s().call(rowsTimes);
          f.get(scores).get(mask).get(seqQ).get(seqK).get(scale);
          at(f, maxes, () => f.get(h).get(seqQ).i32.mul());
          at(f, sums, () => f.get(h).get(seqQ).i32.mul());
          f.i32.const(0).call(softmaxRows);
          f.get(scores).get(seqK).get(vB).get(dp).get(oh).get(d).get(seqQ).get(seqK).get(dp).i32.const(2).i32.shr_s().call(rowsTimes);
          at(f, qh, () => f.get(seqQ).get(d).i32.mul());
          f.set(qh);
          at(f, oh, () => f.get(seqQ).get(d).i32.mul());
          f.set(oh);
          at(f, kh, () => f.get(seqK).get(d).i32.mul());
          f.set(kh);
          at(f, vh, () => f.get(seqK).get(d).i32.mul());
          f.set(vh);
        },
      );
    },
    'attention_forward',
  );
}

/**
 * attention_backward(q, k, v, o, dO, lse, mask, dq, dk, dv, kt, vt, kpad, qpad, dopad, p, dp, pt,
 * dst, heads, seqQ, seqK, d, scale): per head, P again from S = Q Kt and the saved lse, then
 * dV = P^T dO, dP = dO Vt, dS = scale * P * (dP - D) with D_i = dO_i . O_i, dQ = dS K and
 * dK = dS^T Q, every product as rows_times over a transposed or padded copy (the caller zeroed the
 * padding of kt, vt (columns >= seqK) and kpad, qpad, dopad (columns >= d)).
 */
function attentionBackwardFunction(module: ModuleBuilder, softmaxRows: number, rowsTimes: number, copy2d: number): void {
  const params = [...Array<'i32'>(23).fill('i32'), 'f32'] as const;
  module.addFunction(
    { params },
    (f) => {
      const [q, k, v, o, dO, lse, mask, dq, dk, dv, kt, vt, kpad, qpad, dopad, p, dp, pt, dst, heads, seqQ, seqK, d] = f.params.slice(0, 23) as Local<'i32'>[];
      const scale = f.params[23] as unknown as Local<'f32'>;
      const [h, i, j, c, kp, dpad, qOff, kOff, pRow, D] = [
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('i32'),
        f.local('f32'),
      ];
      const ptr = (base: I, offset: I) => at(f, base, () => f.get(offset));
      const [kB, qB, dOB, padded] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(seqK!).i32.const(3).i32.add().i32.const(-4).i32.and().set(kp);
      f.get(d!).i32.const(3).i32.add().i32.const(-4).i32.and().tee(dpad).get(d!).i32.ne().set(padded);
      f.forRange(
        h,
        () => f.i32.const(0),
        () => f.get(heads!),
        1,
        () => {
          f.get(h).get(seqQ!).i32.mul().get(d!).i32.mul().set(qOff);
          f.get(h).get(seqK!).i32.mul().get(d!).i32.mul().set(kOff);
          // Transposed and padded copies of this head's K, V, Q and dO.
          ptr(k!, kOff);
          f.i32.const(1).get(d!).get(kt!).get(kp).get(d!).get(seqK!).call(copy2d);
          ptr(v!, kOff);
          f.i32.const(1).get(d!).get(vt!).get(kp).get(d!).get(seqK!).call(copy2d);
          // Padded copies only where d is not a multiple of 4; else the rows themselves.
          const rowsOf = (x: I, off: I, pad: I, out: I, rows: I) => {
            f.get(pad);
            ptr(x, off);
            f.get(padded).select().set(out);
            f.get(padded).if(() => {
              ptr(x, off);
              f.get(d!).i32.const(1).get(pad).get(dpad).get(rows).get(d!).call(copy2d);
            });
          };
          rowsOf(k!, kOff, kpad!, kB, seqK!);
          rowsOf(q!, qOff, qpad!, qB, seqQ!);
          rowsOf(dO!, qOff, dopad!, dOB, seqQ!);
          // P = exp(scale * Q Kt + mask - lse).
          ptr(q!, qOff);
          f.get(d!).get(kt!).get(kp).get(p!).get(seqK!).get(seqQ!).get(d!).get(kp).i32.const(2).i32.shr_s().call(rowsTimes);
          f.get(p!).get(mask!).get(seqQ!).get(seqK!).get(scale);
          at(f, lse!, () => f.get(h).get(seqQ!).i32.mul());
          f.i32.const(0).i32.const(1).call(softmaxRows);
          // dV = P^T dO.
          f.get(p!).i32.const(1).get(seqK!).get(pt!).get(seqQ!).get(seqK!).get(seqQ!).call(copy2d);
          f.get(pt!).get(seqQ!).get(dOB).get(dpad);
          ptr(dv!, kOff);
          f.get(d!).get(seqK!).get(seqQ!).get(dpad).i32.const(2).i32.shr_s().call(rowsTimes);
          // dP = dO Vt, then dS = scale * P * (dP - D) in place of dP.
          ptr(dO!, qOff);
          f.get(d!).get(vt!).get(kp).get(dp!).get(seqK!).get(seqQ!).get(d!).get(kp).i32.const(2).i32.shr_s().call(rowsTimes);
          f.forRange(
            i,
            () => f.i32.const(0),
            () => f.get(seqQ!),
            1,
            () => {
              f.f32.const(0).set(D);
              f.forRange(
                c,
                () => f.i32.const(0),
                () => f.get(d!),
                1,
                () => {
                  f.get(D);
                  at(f, dO!, () => f.get(qOff).get(i).get(d!).i32.mul().i32.add().get(c).i32.add());
                  f.f32.load();
                  at(f, o!, () => f.get(qOff).get(i).get(d!).i32.mul().i32.add().get(c).i32.add());
                  f.f32.load().f32.mul().f32.add().set(D);
                },
              );
              f.get(i).get(seqK!).i32.mul().set(pRow);
              f.forRange(
                j,
                () => f.i32.const(0),
                () => f.get(seqK!),
                1,
                () => {
                  at(f, dp!, () => f.get(pRow).get(j).i32.add());
                  at(f, p!, () => f.get(pRow).get(j).i32.add());
                  f.f32.load();
                  at(f, dp!, () => f.get(pRow).get(j).i32.add());
                  f.f32.load().get(D).f32.sub().f32.mul().get(scale).f32.mul().f32.store();
                },
              );
            },
          );
          // dQ = dS K; dK = dS^T Q.
          f.get(dp!).get(seqK!).get(kB).get(dpad);
          ptr(dq!, qOff);
          f.get(d!).get(seqQ!).get(seqK!).get(dpad).i32.const(2).i32.shr_s().call(rowsTimes);
          f.get(dp!).i32.const(1).get(seqK!).get(dst!).get(seqQ!).get(seqK!).get(seqQ!).call(copy2d);
          f.get(dst!).get(seqQ!).get(qB).get(dpad);
          ptr(dk!, kOff);
          f.get(d!).get(seqK!).get(seqQ!).get(dpad).i32.const(2).i32.shr_s().call(rowsTimes);
        },
      );
    },
    'attention_backward',
  );
}

/** Adds the attention functions (forward and backward) to the row kernels' module; `fma` where relaxed SIMD validates. */
export function attentionFunctions(module: ModuleBuilder, softmaxRows: number, fma: boolean): void {
  const rowsTimes = rowsTimesFunction(module, fma);
  const copy2d = copy2dFunction(module);
  attentionForwardFunction(module, softmaxRows, rowsTimes, copy2d);
  attentionBackwardFunction(module, softmaxRows, rowsTimes, copy2d);
}
