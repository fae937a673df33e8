/** Gradient rule of gather: a scatter-add of dL/dout into zeros of the table's shape (repeated ids add). */
import { fromStorage } from '../ops/creation.js';
import { reshape } from '../ops/movement.js';
import type { GradRules } from '../tape.js';

export const INDEXING_GRADIENTS: GradRules<'gather'> = {
  gather(g, _out, { inputs: [x], saved: { ids, outer, n, inner } }) {
    const b = g.backend;
    return [reshape(fromStorage(b, b.scatterAdd(g.storage, ids.storage, outer, n, inner), [outer, n, inner]), x!.shape)];
  },
};
