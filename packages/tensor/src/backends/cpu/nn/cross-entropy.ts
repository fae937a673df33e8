/**
 * Per-row cross entropy against i32 labels, softmax or stablemax (HRM spec section 5):
 * stablemax s(x) = x + 1 for x >= 0, 1 / (1 - x + 1e-30) for x < 0; log p_i = log(s(x_i) / sum_j s(x_j)).
 * Rows labelled ignoreIndex get loss 0 and gradient 0.
 */
import type { CrossEntropyKind, Storage } from '../../../backend.js';
import { expectSameDtype, floatLike, floatOperand, indexOperand, type FloatArray } from '../storage.js';
import { logSumExp, rowsOperand } from './rows.js';

export function stablemaxS(x: number): number {
  return x >= 0 ? x + 1 : 1 / (1 - x + 1e-30);
}

/** ds/dx: 1 for x >= 0; for x < 0, d/dx (1 - x + 1e-30)^-1 = s(x)^2. */
export function stablemaxSlope(x: number): number {
  if (x >= 0) return 1;
  const s = stablemaxS(x);
  return s * s;
}

interface Row {
  x: FloatArray;
  off: number;
  cols: number;
  label: number;
}

/** How one kind turns a row into its loss and d loss / d logits. */
interface Kind {
  loss(row: Row): number;
  /** Writes d loss / d x_j (for a unit upstream gradient) scaled by `scale` into out[off + j]. */
  grad(row: Row, scale: number, out: FloatArray): void;
}

const SOFTMAX: Kind = {
  loss: ({ x, off, cols, label }) => logSumExp(x, off, cols) - x[off + label]!,
  grad({ x, off, cols, label }, scale, out) {
    const lse = logSumExp(x, off, cols);
    for (let j = 0; j < cols; j++) out[off + j] = (Math.exp(x[off + j]! - lse) - (j === label ? 1 : 0)) * scale;
  },
};

function stablemaxSum({ x, off, cols }: Row): number {
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += stablemaxS(x[off + j]!);
  return sum;
}

const STABLEMAX: Kind = {
  loss: (row) => -Math.log(stablemaxS(row.x[row.off + row.label]!) / stablemaxSum(row)),
  // loss = log S - log s_l, so d loss / d x_j = s'_j / S - [j = l] s'_l / s_l.
  grad(row, scale, out) {
    const { x, off, cols, label } = row;
    const sum = stablemaxSum(row);
    for (let j = 0; j < cols; j++) {
      const v = x[off + j];
      const own = j === label ? stablemaxSlope(v!) / stablemaxS(v!) : 0;
      out[off + j] = (stablemaxSlope(v!) / sum - own) * scale;
    }
  },
};

const KINDS: Record<CrossEntropyKind, Kind> = { softmax: SOFTMAX, stablemax: STABLEMAX };

function kindOf(kernel: string, kind: CrossEntropyKind): Kind {
  if (!Object.hasOwn(KINDS, kind)) throw new Error(`cpu.${kernel}: unknown kind '${kind}', expected softmax or stablemax`);
  return KINDS[kind];
}

export function crossEntropy(logits: Storage, labels: Storage, rows: number, cols: number, ignoreIndex: number, kind: CrossEntropyKind): FloatArray {
  const k = kindOf('crossEntropy', kind);
  const x = rowsOperand('crossEntropy', 'logits', logits, rows, cols);
  const ys = indexOperand('crossEntropy', 'labels', labels, rows, cols, ignoreIndex);
  const out = floatLike(x, rows);
  for (let r = 0; r < rows; r++) {
    out[r] = ys[r] === ignoreIndex ? 0 : k.loss({ x, off: r * cols, cols, label: ys[r]! });
  }
  return out;
}

export function crossEntropyBackward(
  logits: Storage,
  labels: Storage,
  dLoss: Storage,
  rows: number,
  cols: number,
  ignoreIndex: number,
  kind: CrossEntropyKind,
): FloatArray {
  const kernel = 'crossEntropyBackward';
  const k = kindOf(kernel, kind);
  const x = rowsOperand(kernel, 'logits', logits, rows, cols);
  const ys = indexOperand(kernel, 'labels', labels, rows, cols, ignoreIndex);
  const d = floatOperand(kernel, 'dLoss', dLoss, rows);
  expectSameDtype(kernel, { logits, dLoss });
  const out = floatLike(x, x.length);
  for (let r = 0; r < rows; r++) {
    if (ys[r] !== ignoreIndex) k.grad({ x, off: r * cols, cols, label: ys[r]! }, d[r]!, out);
  }
  return out;
}
