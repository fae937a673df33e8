/** Gradient rules of the movement ops: each sends dL/dout back through the inverse movement. */
import { zeros } from '../ops/creation.js';
import { permute, reshape, slice } from '../ops/movement.js';
import { sumToShape } from '../ops/reduce.js';
import { shapeSize } from '../shape.js';
import type { GradRules } from '../tape.js';

export const MOVEMENT_GRADIENTS: GradRules<'reshape' | 'permute' | 'slice' | 'concat' | 'expand'> = {
  reshape: (g, _out, { inputs: [x] }) => [reshape(g, x!.shape)],
  permute: (g, _out, { saved }) => [permute(g, saved.inverse)],
  /** The gradient lands in the sliced columns of a zero tensor of the input's shape. */
  slice(g, _out, { inputs: [x], saved: { axis, lo, hi } }) {
    const shape = x!.shape;
    const full = zeros(shape, { dtype: g.dtype });
    const inner = shapeSize(shape.slice(axis + 1));
    x!.backend.copyRegion(g.storage, full.storage, shapeSize(shape.slice(0, axis)), (hi - lo) * inner, shape[axis]! * inner, lo * inner);
    return [full];
  },
  concat: (g, _out, { inputs, saved: { axis, offsets } }) =>
    inputs.map((t, k) => (t.requiresGrad ? slice(g, axis, offsets[k]!, offsets[k]! + t.shape[axis]!) : null)),
  expand: (g, _out, { inputs: [x] }) => [sumToShape(g, x!.shape)],
};
