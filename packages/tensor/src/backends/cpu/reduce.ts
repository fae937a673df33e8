/** Reductions over the middle axis of x viewed as [outer, reduce, inner]. NaN propagates through max/min/arg*. */
import type { AnyTypedArray, DType, ReduceOp, Storage } from '../../backend.js';
import { cpuStorage, expectDtype, expectNonNegativeInt, expectSize, newArray } from './storage.js';

type Step = (acc: number, v: number) => number;

const ANY: readonly DType[] = ['f32', 'f64', 'i32', 'bool'];

const isNan = (v: number): boolean => v !== v;
const maxStep: Step = (a, v) => ((v > a || isNan(v)) && !isNan(a) ? v : a);
const minStep: Step = (a, v) => ((v < a || isNan(v)) && !isNan(a) ? v : a);

interface Fold {
  init: number;
  step: Step;
  /** Step for i32 inputs where float arithmetic would not wrap like 32-bit integers. */
  i32Step?: Step;
  dtypes: readonly DType[];
  /** Result dtype for integer-like inputs (bool, i32); float inputs keep their dtype. */
  integerResult: (input: DType) => DType;
  emptyAllowed: boolean;
}

const FOLDS: Record<'sum' | 'prod' | 'max' | 'min', Fold> = {
  sum: { init: 0, step: (a, v) => a + v, dtypes: ANY, integerResult: () => 'i32', emptyAllowed: true },
  prod: { init: 1, step: (a, v) => a * v, i32Step: Math.imul, dtypes: ANY, integerResult: () => 'i32', emptyAllowed: true },
  max: { init: -Infinity, step: maxStep, dtypes: ANY, integerResult: (d) => d, emptyAllowed: false },
  min: { init: Infinity, step: minStep, dtypes: ANY, integerResult: (d) => d, emptyAllowed: false },
};

// "Is v a strictly better pick than best?": strict so the first index of the extreme value wins; NaN beats all.
const ARG_BETTER: Record<'argmax' | 'argmin', (v: number, best: number) => boolean> = {
  argmax: (v, best) => !isNan(best) && (v > best || isNan(v)),
  argmin: (v, best) => !isNan(best) && (v < best || isNan(v)),
};

export function reduce(op: ReduceOp, x: Storage, outer: number, reduce: number, inner: number): AnyTypedArray {
  const kernel = `reduce(${op})`;
  const st = cpuStorage(x, kernel, 'x');
  for (const [name, v] of Object.entries({ outer, reduce, inner })) expectNonNegativeInt(kernel, name, v);
  expectSize(kernel, 'x', st.size, outer * reduce * inner);
  const src = st.data;
  if (op === 'argmax' || op === 'argmin') {
    expectDtype(kernel, 'x', st.dtype, ANY);
    if (reduce === 0 && outer * inner > 0) throw new Error(`cpu.${kernel}: cannot reduce an empty axis`);
    return argReduce(src, outer, reduce, inner, ARG_BETTER[op]);
  }
  if (!Object.hasOwn(FOLDS, op)) throw new Error(`cpu.reduce: unknown op '${op}'`);
  const fold = FOLDS[op];
  expectDtype(kernel, 'x', st.dtype, fold.dtypes);
  if (!fold.emptyAllowed && reduce === 0 && outer * inner > 0) throw new Error(`cpu.${kernel}: cannot reduce an empty axis`);
  const outDtype = st.dtype === 'f32' || st.dtype === 'f64' ? st.dtype : fold.integerResult(st.dtype);
  const step = st.dtype === 'i32' && fold.i32Step ? fold.i32Step : fold.step;
  const out = newArray(outDtype, outer * inner);
  // Accumulate in f64 over an inner-length row so that memory is read in order.
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(fold.init);
    for (let r = 0, base = o * reduce * inner; r < reduce; r++, base += inner) {
      for (let i = 0; i < inner; i++) acc[i] = step(acc[i]!, src[base + i]!);
    }
    out.set(acc, o * inner);
  }
  return out;
}

function argReduce(src: AnyTypedArray, outer: number, reduce: number, inner: number, better: (v: number, best: number) => boolean): Int32Array {
  const out = new Int32Array(outer * inner);
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * reduce * inner;
    best.set(src.subarray(base, base + inner));
    const idx = out.subarray(o * inner, (o + 1) * inner);
    for (let r = 1; r < reduce; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) {
        const v = src[row + i];
        if (better(v!, best[i]!)) {
          best[i] = v!;
          idx[i] = r;
        }
      }
    }
  }
  return out;
}
