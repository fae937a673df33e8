/** Gradient rules of the fused neural-net ops: one backward kernel each, except bceWithLogits. */
import { fromStorage } from '../ops/creation.js';
import { mul, sigmoid, sub } from '../ops/elementwise.js';
import type { CrossEntropySaved, GradRule, GradRules } from '../tape.js';

const crossEntropy: GradRule<'softmaxCrossEntropy' | 'stablemaxCrossEntropy'> = (g, _out, { inputs: [logits], saved }) => {
  const { labels, ignoreIndex, rows, cols, kind }: CrossEntropySaved = saved;
  const b = g.backend;
  return [fromStorage(b, b.crossEntropyBackward(logits!.storage, labels.storage, g.storage, rows, cols, ignoreIndex, kind), logits!.shape)];
};

export const NN_GRADIENTS: GradRules<
  'softmax' | 'logSoftmax' | 'rmsNorm' | 'rope' | 'attention' | 'packedAttention' | 'swiglu' | 'softmaxCrossEntropy' | 'stablemaxCrossEntropy' | 'bceWithLogits'
> = {
  softmax: (g, out, { saved: { rows, cols } }) => [fromStorage(g.backend, g.backend.softmaxBackward(out.storage, g.storage, rows, cols), out.shape)],
  logSoftmax: (g, out, { saved: { rows, cols } }) => [fromStorage(g.backend, g.backend.logSoftmaxBackward(out.storage, g.storage, rows, cols), out.shape)],
  rmsNorm: (g, _out, { inputs: [x], saved: { rows, cols, invRms } }) => [
    fromStorage(g.backend, g.backend.rmsNormBackward(g.storage, x!.storage, invRms.storage, rows, cols), x!.shape),
  ],
  /** RoPE's gradient is the map's adjoint (the backend's `adjoint` flag): exact for any tables. */
  rope(g, _out, { saved: { cos, sin } }) {
    const [batch, heads, seq, dim] = g.shape as [number, number, number, number];
    return [fromStorage(g.backend, g.backend.rope(g.storage, cos.storage, sin.storage, batch, heads, seq, dim, true), g.shape)];
  },
  attention(g, out, { inputs: [q, k, v], saved: { p, lse, mask } }) {
    const b = g.backend;
    const { dq, dk, dv } = b.attentionBackward(q!.storage, k!.storage, v!.storage, out.storage, lse.storage, g.storage, p, mask);
    return [fromStorage(b, dq, q!.shape), fromStorage(b, dk, k!.shape), fromStorage(b, dv, v!.shape)];
  },
  packedAttention(g, out, { inputs: [qkv], saved: { p, lse, rope } }) {
    const b = g.backend;
    const tables = rope && { cos: rope.cos.storage, sin: rope.sin.storage };
    return [fromStorage(b, b.packedAttentionBackward(qkv!.storage, out.storage, lse.storage, g.storage, p, tables), qkv!.shape)];
  },
  swiglu: (g, _out, { inputs: [gateUp], saved: { rows, inter } }) => [
    fromStorage(g.backend, g.backend.swigluBackward(gateUp!.storage, g.storage, rows, inter), gateUp!.shape),
  ],
  softmaxCrossEntropy: crossEntropy,
  stablemaxCrossEntropy: crossEntropy,
  /** Targets are constants; the gradient is the exact sigmoid(x) - t, also at x = 0 where max/abs have a kink. */
  bceWithLogits: (g, _out, { inputs: [logits], saved: { targets } }) => [mul(g, sub(sigmoid(logits!), targets))],
};
