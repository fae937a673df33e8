/**
 * Every gradient rule, in one table above the forward ops (as tinygrad keeps its rules in one
 * pattern table): the backward walk in autodiff.ts looks a node's rule up here by op name. The
 * table's type lists every op the tape can record, so an op without a rule does not compile.
 */
import type { GradRules, OpName } from '../tape.js';
import { ELEMENTWISE_GRADIENTS } from './elementwise.js';
import { INDEXING_GRADIENTS } from './indexing.js';
import { MATMUL_GRADIENTS } from './matmul.js';
import { MOVEMENT_GRADIENTS } from './movement.js';
import { NN_GRADIENTS } from './nn.js';
import { REDUCE_GRADIENTS } from './reduce.js';

export const GRADIENTS: GradRules<OpName> = {
  ...ELEMENTWISE_GRADIENTS,
  ...MOVEMENT_GRADIENTS,
  ...REDUCE_GRADIENTS,
  ...MATMUL_GRADIENTS,
  ...INDEXING_GRADIENTS,
  ...NN_GRADIENTS,
};
