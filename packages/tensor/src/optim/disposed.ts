import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Optimisers update tensors in place: a disposed one would otherwise be skipped without a word. */
export function refuseDisposed(op: string, what: string, t: Tensor): void {
  if (t.isDisposed) throw new Error(`${op}: ${what} ${formatShape(t.shape)} was disposed; an optimiser cannot update a freed tensor.`);
}
