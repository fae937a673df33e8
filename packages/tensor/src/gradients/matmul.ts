/** Gradient rule of matmulT: products with dL/dout that read the operands transposed, never copying a transpose. */
import { matmulT } from '../ops/matmul.js';
import { sumToShape } from '../ops/reduce.js';
import type { GradRules } from '../tape.js';

export const MATMUL_GRADIENTS: GradRules<'matmul'> = {
  matmul(g, _out, { inputs: [a, b], saved: { transA, transB } }) {
    return [
      a!.requiresGrad ? sumToShape(transA ? matmulT(b!, g, transB, true) : matmulT(g, b!, false, !transB), a!.shape) : null,
      b!.requiresGrad ? sumToShape(transB ? matmulT(g, a!, true, transA) : matmulT(a!, g, !transA, false), b!.shape) : null,
    ];
  },
};
