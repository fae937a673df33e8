/** Gradient rules of the elementwise ops: dL/dinput from dL/dout, summed back over broadcast axes. */
import { cast, cos, div, ge, gt, le, log, mul, neg, pow, sigmoid, sign, sin, sub, add, where, type Operand } from '../ops/elementwise.js';
import { sumToShape } from '../ops/reduce.js';
import { sameShape, type Shape } from '../shape.js';
import type { GradRules, TapeNode } from '../tape.js';
import type { Tensor } from '../tensor.js';

/** g summed back to an operand's shape (g itself when nothing was broadcast). */
const reduceTo = (g: Tensor, shape: Shape): Tensor => (sameShape(g.shape, shape) ? g : sumToShape(g, shape));

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
/** dL/d(one operand) at the output's shape, given dL/dout, both operands and the output. */
type Partial = (g: Tensor, a: Operand, b: Operand, out: Tensor) => Tensor;

/** A binary rule from its two partials; only tensor operands that need a gradient get one. */
function binary(da: Partial, db: Partial) {
  return (g: Tensor, out: Tensor, { saved: { a, b } }: TapeNode<BinaryName>): (Tensor | null)[] => {
    const grads: (Tensor | null)[] = [];
    if (typeof a !== 'number') grads.push(a.requiresGrad ? reduceTo(da(g, a, b, out), a.shape) : null);
    if (typeof b !== 'number') grads.push(b.requiresGrad ? reduceTo(db(g, a, b, out), b.shape) : null);
    return grads;
  };
}

type UnaryName = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'sigmoid' | 'silu' | 'relu' | 'abs' | 'square' | 'reciprocal' | 'sin' | 'cos';

/** A unary rule from dL/dx given dL/dout, the input x and the output y. */
function unary(dx: (g: Tensor, x: Tensor, y: Tensor) => Tensor) {
  return (g: Tensor, out: Tensor, node: TapeNode<UnaryName>): Tensor[] => [dx(g, node.inputs[0]!, out)];
}

/** Ties send the gradient to the first operand, as PyTorch's clamp-style max does. */
const firstOnTies = (pick: (a: Operand, b: Operand) => Tensor) =>
  binary(
    (g, a, b) => where(pick(a, b), g, 0),
    (g, a, b) => where(pick(a, b), 0, g),
  );

export const ELEMENTWISE_GRADIENTS: GradRules<BinaryName | UnaryName | 'where' | 'cast'> = {
  add: binary(
    (g) => g,
    (g) => g,
  ),
  sub: binary(
    (g) => g,
    (g) => neg(g),
  ),
  mul: binary(
    (g, _a, b) => mul(g, b),
    (g, a) => mul(g, a),
  ),
  div: binary(
    (g, _a, b) => div(g, b),
    (g, _a, b, out) => neg(div(mul(g, out), b)),
  ),
  pow: binary(
    (g, a, b) => mul(g, mul(b, pow(a, typeof b === 'number' ? b - 1 : sub(b, 1)))),
    (g, a, _b, out) => mul(g, mul(out, typeof a === 'number' ? Math.log(a) : log(a))),
  ),
  maximum: firstOnTies(ge),
  minimum: firstOnTies(le),

  neg: unary((g) => neg(g)),
  exp: unary((g, _x, y) => mul(g, y)),
  log: unary((g, x) => div(g, x)),
  sqrt: unary((g, _x, y) => div(mul(g, 0.5), y)),
  rsqrt: unary((g, _x, y) => mul(g, mul(pow(y, 3), -0.5))),
  tanh: unary((g, _x, y) => mul(g, sub(1, mul(y, y)))),
  sigmoid: unary((g, _x, y) => mul(g, mul(y, sub(1, y)))),
  silu: unary((g, x) => {
    const s = sigmoid(x);
    return mul(g, mul(s, add(1, mul(x, sub(1, s)))));
  }),
  relu: unary((g, x) => where(gt(x, 0), g, 0)),
  abs: unary((g, x) => mul(g, sign(x))),
  square: unary((g, x) => mul(g, mul(x, 2))),
  reciprocal: unary((g, _x, y) => neg(mul(g, mul(y, y)))),
  sin: unary((g, x) => mul(g, cos(x))),
  cos: unary((g, x) => neg(mul(g, sin(x)))),

  where(g, _out, { saved: { cond, a, b } }) {
    const grads: (Tensor | null)[] = [];
    if (typeof a !== 'number') grads.push(a.requiresGrad ? reduceTo(where(cond, g, 0), a.shape) : null);
    if (typeof b !== 'number') grads.push(b.requiresGrad ? reduceTo(where(cond, 0, g), b.shape) : null);
    return grads;
  },
  cast: (g, _out, { saved }) => [cast(g, saved.from)],
};
