/** Softmax and stablemax cross entropy per row, with ignored labels (shaders/cross-entropy.wgsl). */
import type { CrossEntropyKind, Storage } from '../../../backend.js';
import crossEntropySource from '../../../../../../shaders/cross-entropy.wgsl';
import { packUniforms, type GpuStorage, type WebGpuEngine } from '../engine.js';
import { dispatchRows, expectCounts, expectOperand, rowKernelSource } from './nn-common.js';

const source = rowKernelSource(crossEntropySource);

/** The loss per row, or (given dLoss) the gradient of the logits. */
function run(
  engine: WebGpuEngine,
  logits: Storage,
  labels: Storage,
  dLoss: Storage | null,
  rows: number,
  cols: number,
  ignoreIndex: number,
  kind: CrossEntropyKind,
): GpuStorage {
  const kernel = dLoss ? 'crossEntropyBackward' : 'crossEntropy';
  if (kind !== 'softmax' && kind !== 'stablemax') throw new Error(`webgpu ${kernel}: unknown kind '${kind}', expected softmax or stablemax`);
  expectCounts(kernel, { rows, cols });
  expectOperand(kernel, 'logits', logits, 'f32', rows * cols);
  expectOperand(kernel, 'labels', labels, 'i32', rows);
  if (dLoss) expectOperand(kernel, 'dLoss', dLoss, 'f32', rows);
  const out = engine.createStorage('f32', dLoss ? rows * cols : rows);
  dispatchRows(engine, {
    name: `cross_entropy_${kind}${dLoss ? '_backward' : ''}`,
    source,
    defines: { STABLEMAX: kind === 'stablemax', BACKWARD: dLoss !== null },
    rows,
    cols,
    inputs: dLoss ? [logits, labels, dLoss] : [logits, labels],
    outputs: [out],
    uniforms: packUniforms([rows, cols, { i32: ignoreIndex }]),
  });
  return out;
}

export const crossEntropy = (engine: WebGpuEngine, logits: Storage, labels: Storage, rows: number, cols: number, ignoreIndex: number, kind: CrossEntropyKind) =>
  run(engine, logits, labels, null, rows, cols, ignoreIndex, kind);

export const crossEntropyBackward = (
  engine: WebGpuEngine,
  logits: Storage,
  labels: Storage,
  dLoss: Storage,
  rows: number,
  cols: number,
  ignoreIndex: number,
  kind: CrossEntropyKind,
) => run(engine, logits, labels, dLoss, rows, cols, ignoreIndex, kind);
