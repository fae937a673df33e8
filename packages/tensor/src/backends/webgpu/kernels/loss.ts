/** Softmax and stablemax cross entropy per row, with ignored labels (shaders/cross-entropy.wgsl). */
import type { CrossEntropyKind, Storage } from '../../../backend.js';
import crossEntropySource from '../../../../../../shaders/cross-entropy.wgsl';
import { packUniforms, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { dispatchRows, expectCounts, expectOperand, rowKernelSource } from './nn-common.js';

const source = rowKernelSource(crossEntropySource);

function checkKind(kernel: string, kind: CrossEntropyKind): void {
  if (kind !== 'softmax' && kind !== 'stablemax') throw new Error(`webgpu ${kernel}: unknown kind '${kind}', expected softmax or stablemax`);
}

export function crossEntropy(
  engine: WebGpuEngine,
  logits: Storage,
  labels: Storage,
  rows: number,
  cols: number,
  ignoreIndex: number,
  kind: CrossEntropyKind,
): GpuStorage {
  checkKind('crossEntropy', kind);
  expectCounts('crossEntropy', { rows, cols });
  expectOperand('crossEntropy', 'logits', logits, 'f32', rows * cols);
  expectOperand('crossEntropy', 'labels', labels, 'i32', rows);
  const loss = engine.createStorage('f32', rows);
  dispatchRows(engine, {
    name: `cross_entropy_${kind}`,
    source,
    defines: { STABLEMAX: kind === 'stablemax', BACKWARD: false },
    rows,
    cols,
    inputs: [logits, labels],
    outputs: [loss],
    uniforms: packUniforms([rows, cols, { i32: ignoreIndex }]),
  });
  return loss;
}

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
  checkKind('crossEntropyBackward', kind);
  expectCounts('crossEntropyBackward', { rows, cols });
  expectOperand('crossEntropyBackward', 'logits', logits, 'f32', rows * cols);
  expectOperand('crossEntropyBackward', 'labels', labels, 'i32', rows);
  expectOperand('crossEntropyBackward', 'dLoss', dLoss, 'f32', rows);
  const dLogits = engine.createStorage('f32', rows * cols);
  dispatchRows(engine, {
    name: `cross_entropy_${kind}_backward`,
    source,
    defines: { STABLEMAX: kind === 'stablemax', BACKWARD: true },
    rows,
    cols,
    inputs: [logits, labels, dLoss],
    outputs: [dLogits],
    uniforms: packUniforms([rows, cols, { i32: ignoreIndex }]),
  });
  return dLogits;
}
