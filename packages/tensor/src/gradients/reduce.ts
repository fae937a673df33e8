/** Gradient rules of the reductions (dL/dout arrives in the kept, keepdim shape of the output). */
import { cast, div, eq, mul } from '../ops/elementwise.js';
import { expand } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import type { GradRule, GradRules } from '../tape.js';

/** Max or min: the gradient is shared equally among tied extreme elements. */
const extreme: GradRule<'max' | 'min'> = (g, out, { inputs: [x], saved: { axes } }) => {
  const isExtreme = cast(eq(x!, out), x!.dtype);
  return [div(mul(isExtreme, g), sum(isExtreme, axes, true))];
};

export const REDUCE_GRADIENTS: GradRules<'sum' | 'max' | 'min'> = {
  sum: (g, _out, { inputs: [x] }) => [expand(g, x!.shape)],
  max: extreme,
  min: extreme,
};
