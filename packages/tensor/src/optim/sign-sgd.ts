/**
 * Sparse SignSGD for embedding tables (HRM's puzzle embedding, spec section 6): only the rows
 * named by ids move; gradients of repeated ids are summed before taking the sign; decay touches
 * only those rows: p <- p * (1 - lr*wd) - lr * sign(sum of grads).
 */
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { refuseDisposed } from './disposed.js';

export class SignSGD {
  lr: number;
  readonly weightDecay: number;

  constructor(opts: { lr: number; weightDecay?: number }) {
    this.lr = opts.lr;
    this.weightDecay = opts.weightDecay ?? 0;
  }

  /** Updates rows ids (i32 [m]) of table [n, dim] in place with rowGrads [m, dim]. */
  stepRows(table: Tensor, ids: Tensor, rowGrads: Tensor): void {
    for (const [what, t] of [
      ['the table', table],
      ['ids', ids],
      ['row gradients', rowGrads],
    ] as const)
      refuseDisposed('SignSGD.stepRows', what, t);
    const [n, dim] = table.shape as [number, number];
    if (table.rank !== 2) throw new Error(`SignSGD: the table must be [n, dim], found ${formatShape(table.shape)}.`);
    if (ids.dtype !== 'i32' || ids.rank !== 1) throw new Error(`SignSGD: ids must be i32 [m], found ${ids.dtype} ${formatShape(ids.shape)}.`);
    if (rowGrads.rank !== 2 || rowGrads.shape[0] !== ids.shape[0] || rowGrads.shape[1] !== dim) {
      throw new Error(`SignSGD: row gradients must be [${ids.shape[0]}, ${dim}], found ${formatShape(rowGrads.shape)}.`);
    }
    table.backend.signSgdRows(table.storage, ids.storage, rowGrads.storage, n, dim, { lr: this.lr, weightDecay: this.weightDecay });
  }
}
