/**
 * The fused f32 attention forward in WebAssembly SIMD: every (batch, head) in one call, with the
 * scores, softmax and P V in the module's memory (the gemm per head paid its packing and copies in
 * JavaScript, more than the arithmetic at HRM's 82 x 82 x 32 heads).
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
 * A[i, kk] * B[kk, 0 .. 4 vectors), strides in elements. Four output vectors per pass over k (one
 * splat of A[i, kk] feeds four multiply-adds), then single vectors.
 */
function rowsTimesFunction(module: ModuleBuilder): number {
  return module.addFunction({ params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] }, (f) => {
    const [a, lda, b, ldb, c, ldc, m, k, vectors] = f.params;
    const [i, v, kk, aRow, cRow, bp, blockEnd, bStep] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
    const acc = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
    const s = f.local('v128');
    f.get(vectors).i32.const(-4).i32.and().set(blockEnd);
    f.get(ldb).i32.const(2).i32.shl().set(bStep);
    const pass = (width: number) => {
      for (let u = 0; u < width; u++) f.f32.const(0).f32x4.splat().set(acc[u]!);
      // bp = b + 16 * v
      f.get(b).get(v).i32.const(4).i32.shl().i32.add().set(bp);
      f.forRange(kk, () => f.i32.const(0), () => f.get(k), 1, () => {
        at(f, aRow, () => f.get(kk));
        f.v128.load32_splat().set(s);
        for (let u = 0; u < width; u++) f.get(acc[u]!).get(s).get(bp).v128.load(16 * u, 2).f32x4.mul().f32x4.add().set(acc[u]!);
        f.get(bp).get(bStep).i32.add().set(bp);
      });
      for (let u = 0; u < width; u++) {
        f.get(cRow).get(v).i32.const(4).i32.shl().i32.add().get(acc[u]!).v128.store(16 * u, 2);
      }
    };
    f.get(a).set(aRow);
    f.get(c).set(cRow);
    f.forRange(i, () => f.i32.const(0), () => f.get(m), 1, () => {
      f.forRange(v, () => f.i32.const(0), () => f.get(blockEnd), 4, () => pass(4));
      f.forRange(v, () => f.get(blockEnd), () => f.get(vectors), 1, () => pass(1));
      at(f, aRow, () => f.get(lda));
      f.set(aRow);
      at(f, cRow, () => f.get(ldc));
      f.set(cRow);
    });
  });
}

/**
 * attention_forward(q, k, v, o, mask, kt, vp, scores, maxes, sums, heads, seqQ, seqK, d, scale):
 * q/o [heads, seqQ, d], k/v [heads, seqK, d]; kt (d x kp) and vp (seqK x dp) scratch whose padding
 * columns the caller zeroed; scores seqQ * seqK (+ 4 slack); maxes and sums [heads, seqQ] as
 * softmax_rows leaves them (the caller turns them into the lse).
 */
export function attentionForwardFunction(module: ModuleBuilder, softmaxRows: number): void {
  const rowsTimes = rowsTimesFunction(module);
  module.addFunction(
    { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32'] },
    (f) => {
      const [q, k, v, o, mask, kt, vp, scores, maxes, sums, heads, seqQ, seqK, d, scale] = f.params;
      const [h, j, col, kp, dp, qh, kh, vh, oh] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
      f.get(seqK).i32.const(3).i32.add().i32.const(-4).i32.and().set(kp);
      f.get(d).i32.const(3).i32.add().i32.const(-4).i32.and().set(dp);
      f.get(q).set(qh);
      f.get(k).set(kh);
      f.get(v).set(vh);
      f.get(o).set(oh);
      f.forRange(h, () => f.i32.const(0), () => f.get(heads), 1, () => {
        // Kt[col, j] = K[j, col]; Vp[j, col] = V[j, col].
        f.forRange(j, () => f.i32.const(0), () => f.get(seqK), 1, () => {
          f.forRange(col, () => f.i32.const(0), () => f.get(d), 1, () => {
            at(f, kt, () => f.get(col).get(kp).i32.mul().get(j).i32.add());
            at(f, kh, () => f.get(j).get(d).i32.mul().get(col).i32.add());
            f.f32.load().f32.store();
            at(f, vp, () => f.get(j).get(dp).i32.mul().get(col).i32.add());
            at(f, vh, () => f.get(j).get(d).i32.mul().get(col).i32.add());
            f.f32.load().f32.store();
          });
        });
        // S = Q Kt; softmax rows (scale, mask, lse parts); O = P Vp.
        f.get(qh).get(d).get(kt).get(kp).get(scores).get(seqK).get(seqQ).get(d).get(kp).i32.const(2).i32.shr_s().call(rowsTimes);
        f.get(scores).get(mask).get(seqQ).get(seqK).get(scale);
        at(f, maxes, () => f.get(h).get(seqQ).i32.mul());
        at(f, sums, () => f.get(h).get(seqQ).i32.mul());
        f.i32.const(0).call(softmaxRows);
        f.get(scores).get(seqK).get(vp).get(dp).get(oh).get(d).get(seqQ).get(seqK).get(dp).i32.const(2).i32.shr_s().call(rowsTimes);
        at(f, qh, () => f.get(seqQ).get(d).i32.mul());
        f.set(qh);
        at(f, oh, () => f.get(seqQ).get(d).i32.mul());
        f.set(oh);
        at(f, kh, () => f.get(seqK).get(d).i32.mul());
        f.set(kh);
        at(f, vh, () => f.get(seqK).get(d).i32.mul());
        f.set(vh);
      });
    },
    'attention_forward',
  );
}
