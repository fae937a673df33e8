/** Softmax and stablemax cross entropy per row, with ignored labels (shaders/cross-entropy.wgsl). */
import type { CrossEntropyKind, Storage } from '../../../backend.js';
import body from '../../../../../../shaders/cross-entropy.wgsl';
import type { GpuStorage, WebGpuEngine } from '../engine.js';
import { defineRowKernel, dispatchRows, expectCounts, expectOperand } from './nn-common.js';

const KINDS = { softmax: { STABLEMAX: false }, stablemax: { STABLEMAX: true } };

const forwardKernel = defineRowKernel({
  name: 'cross_entropy',
  body,
  defines: { BACKWARD: false },
  inputs: { x: 'f32', labels: 'i32' },
  outputs: { loss: 'f32' },
  uniforms: { rows: 'u32', cols: 'u32', ignoreIndex: 'i32' },
  variants: KINDS,
});

const backwardKernel = defineRowKernel({
  name: 'cross_entropy_backward',
  body,
  defines: { BACKWARD: true },
  inputs: { x: 'f32', labels: 'i32', dLoss: 'f32' },
  outputs: { dLogits: 'f32' },
  uniforms: { rows: 'u32', cols: 'u32', ignoreIndex: 'i32' },
  variants: KINDS,
});

function check(kernel: string, logits: Storage, labels: Storage, rows: number, cols: number, kind: CrossEntropyKind): void {
  if (kind !== 'softmax' && kind !== 'stablemax') throw new Error(`webgpu ${kernel}: unknown kind '${kind}', expected softmax or stablemax`);
  expectCounts(kernel, { rows, cols });
  expectOperand(kernel, 'logits', logits, 'f32', rows * cols);
  expectOperand(kernel, 'labels', labels, 'i32', rows);
}

/** The loss per row. */
export function crossEntropy(
  engine: WebGpuEngine,
  logits: Storage,
  labels: Storage,
  rows: number,
  cols: number,
  ignoreIndex: number,
  kind: CrossEntropyKind,
): GpuStorage {
  check('crossEntropy', logits, labels, rows, cols, kind);
  const loss = engine.createStorage('f32', rows);
  dispatchRows(engine, forwardKernel, {
    suffix: `_${kind}`,
    defines: KINDS[kind],
    inputs: { x: logits, labels },
    outputs: { loss },
    uniforms: { rows, cols, ignoreIndex },
  });
  return loss;
}

/** The gradient of the logits, given that of the loss per row. */
export function crossEntropyBackward(
  engine: WebGpuEngine,
  logits: Storage,
  labels: Storage,
  dLoss: Storage,
  rows: number,
  cols: number,
  ignoreIndex: number,
  kind: CrossEntropyKind,
): GpuStorage {
  check('crossEntropyBackward', logits, labels, rows, cols, kind);
  expectOperand('crossEntropyBackward', 'dLoss', dLoss, 'f32', rows);
  const dLogits = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, backwardKernel, {
    suffix: `_${kind}`,
    defines: KINDS[kind],
    inputs: { x: logits, labels, dLoss },
    outputs: { dLogits },
    uniforms: { rows, cols, ignoreIndex },
  });
  return dLogits;
}
