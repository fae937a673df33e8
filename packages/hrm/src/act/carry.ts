/**
 * The ACT carry (spec section 4): recurrent states, steps, halted flags and the data each batch
 * slot is currently working on. All of it lives on the device so that a whole step (reset, swap,
 * segment, halting, loss, backward) is one synchronous tidy scope. Carry tensors are kept
 * (outside every tidy); release them with disposeCarry.
 */
import { type Tensor, full, zeros } from '@hrm-webgpu/tensor';
import { modelSeqLen } from '../config.js';
import type { HRM } from '../model/hrm.js';

export interface ACTCarry {
  readonly batchSize: number;
  /** [B, S, hidden], detached. */
  zH: Tensor;
  zL: Tensor;
  /** i32 [B]: segments run on the current data. */
  steps: Tensor;
  /** bool [B]: the slot halted after its last segment (reset and refilled at the next step). */
  halted: Tensor;
  /** i32 [B, seq_len] */
  inputs: Tensor;
  /** i32 [B, seq_len] */
  labels: Tensor;
  /** i32 [B] */
  puzzleIdentifiers: Tensor;
}

/** Every slot halted, so the first step resets all states and takes the whole batch. */
export function initialCarry(model: HRM, batchSize: number): ACTCarry {
  const { seq_len: seqLen, hidden_size: hidden } = model.config;
  const state = [batchSize, modelSeqLen(model.config), hidden];
  return {
    batchSize,
    zH: zeros(state, { dtype: model.dtype }).keep(),
    zL: zeros(state, { dtype: model.dtype }).keep(),
    steps: zeros([batchSize], { dtype: 'i32' }).keep(),
    halted: full([batchSize], 1, { dtype: 'bool' }).keep(),
    inputs: zeros([batchSize, seqLen], { dtype: 'i32' }).keep(),
    labels: zeros([batchSize, seqLen], { dtype: 'i32' }).keep(),
    puzzleIdentifiers: zeros([batchSize], { dtype: 'i32' }).keep(),
  };
}

export function carryTensors(carry: ACTCarry): Tensor[] {
  return [carry.zH, carry.zL, carry.steps, carry.halted, carry.inputs, carry.labels, carry.puzzleIdentifiers];
}

export function disposeCarry(carry: ACTCarry): void {
  for (const t of carryTensors(carry)) t.dispose();
}

/** Host copy of the carry's bookkeeping (for logs, tests and `hrm solve`). */
export async function readCarryState(carry: ACTCarry): Promise<{ steps: Int32Array; halted: boolean[] }> {
  const steps = (await carry.steps.data()) as Int32Array;
  const halted = Array.from((await carry.halted.data()) as Uint8Array, (v) => v !== 0);
  return { steps, halted };
}
