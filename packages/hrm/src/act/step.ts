/**
 * One ACT step (spec section 4): reset halted slots, swap in new data for halted slots only, run
 * one segment, then (without gradient) count steps, decide halting and, in training, compute the
 * bootstrapped Q-continue target from a second pass over the new carry.
 */
import { type Rng, type Tensor, add, gather, ge, gt, logicalAnd, logicalOr, maximum, noGrad, reshape, sigmoid, tensor, tidy, where } from '@hrm-webgpu/tensor';
import type { PuzzleBatch } from '../data/types.js';
import type { HRM } from '../model/hrm.js';
import { KEYS } from '../model/params.js';
import { runSegment } from '../model/segment.js';
import type { ACTCarry } from './carry.js';

export interface ActOutputs {
  /** [B, seq_len, vocab] */
  logits: Tensor;
  /** [B] */
  qHaltLogits: Tensor;
  /** [B] */
  qContinueLogits: Tensor;
  /** [B], training with halt_max_steps > 1 only: sigmoid of the bootstrapped Q value. */
  targetQContinue?: Tensor;
  /**
   * [B, puzzle_emb_ndim], training only: the batch's puzzle-table rows as a leaf that requires
   * gradients; after backward its .grad feeds the sparse SignSGD step with carry.puzzleIdentifiers.
   */
  puzzleEmbRows?: Tensor;
}

export interface ActStepOptions {
  /** Training halts by Q values with exploration and computes targetQContinue; evaluation halts only at halt_max_steps. */
  training: boolean;
  /** Draws the exploration (needed when training with halt_max_steps > 1). */
  rng?: Rng;
}

function checkBatch(model: HRM, carry: ACTCarry, batch: PuzzleBatch): void {
  const { seq_len: seqLen, vocab_size: vocab, num_puzzle_identifiers: ids } = model.config;
  if (batch.size !== carry.batchSize) throw new Error(`actStep: the batch has ${batch.size} rows, the carry ${carry.batchSize}.`);
  if (batch.seqLen !== seqLen) throw new Error(`actStep: the batch has seqLen ${batch.seqLen}, the config seq_len ${seqLen}.`);
  const badToken = batch.inputs.findIndex((t) => t < 0 || t >= vocab);
  if (badToken >= 0) throw new Error(`actStep: input token ${batch.inputs[badToken]} at index ${badToken} is outside [0, vocab_size=${vocab}).`);
  const badId = batch.puzzleIdentifiers.findIndex((t) => t < 0 || t >= ids);
  if (badId >= 0) {
    throw new Error(`actStep: puzzle identifier ${batch.puzzleIdentifiers[badId]} of row ${badId} is outside [0, num_puzzle_identifiers=${ids}).`);
  }
}

/** Per slot: min_halt = randint[2, halt_max_steps] with probability halt_exploration_prob, else 0. */
export function drawMinHaltSteps(rng: Rng, batchSize: number, haltMaxSteps: number, explorationProb: number): Int32Array {
  const out = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const explore = rng.uniform() < explorationProb;
    const steps = rng.int(2, haltMaxSteps);
    out[b] = explore ? steps : 0;
  }
  return out;
}

/** Input embedding of the current data; in training the puzzle rows become a leaf for the sparse update. */
function embedCurrent(model: HRM, inputs: Tensor, puzzleIds: Tensor, leafRows: boolean): { x: Tensor; rows: Tensor | undefined } {
  const table = model.puzzleEmbTable;
  const rows = table ? gather(table, puzzleIds, 0) : null;
  if (rows && leafRows) rows.requiresGrad = true;
  return { x: model.embed(inputs, rows), rows: leafRows ? (rows ?? undefined) : undefined };
}

/**
 * Call inside tidy() (with backward() in the same scope when training): the outputs and the graph
 * behind them live in the caller's scope. The input carry is left as it is; the returned carry's
 * tensors are kept (dispose them with disposeCarry).
 */
export function actStep(model: HRM, carry: ACTCarry, batch: PuzzleBatch, opts: ActStepOptions): { carry: ACTCarry; outputs: ActOutputs } {
  checkBatch(model, carry, batch);
  const cfg = model.config;
  const B = carry.batchSize;
  const explore = opts.training && cfg.halt_max_steps > 1;
  if (explore && !opts.rng) throw new Error('actStep: training with halt_max_steps > 1 needs an rng for the halting exploration.');

  const reset = carry.halted;
  const zH = where(reshape(reset, [B, 1, 1]), model.buffer(KEYS.hInit), carry.zH);
  const zL = where(reshape(reset, [B, 1, 1]), model.buffer(KEYS.lInit), carry.zL);
  const stepsBefore = where(reset, 0, carry.steps);
  const rowReset = reshape(reset, [B, 1]);
  const inputs = where(rowReset, tensor(batch.inputs, { shape: [B, cfg.seq_len], dtype: 'i32' }), carry.inputs);
  const labels = where(rowReset, tensor(batch.labels, { shape: [B, cfg.seq_len], dtype: 'i32' }), carry.labels);
  const puzzleIdentifiers = where(reset, tensor(batch.puzzleIdentifiers, { shape: [B], dtype: 'i32' }), carry.puzzleIdentifiers);

  const { x, rows } = embedCurrent(model, inputs, puzzleIdentifiers, opts.training);
  const seg = runSegment(model, zH, zL, x, cfg.gradient);
  const outputs: ActOutputs = { logits: seg.logits, qHaltLogits: seg.qHaltLogits, qContinueLogits: seg.qContinueLogits };
  if (rows) outputs.puzzleEmbRows = rows;

  const next = noGrad(() => {
    const newZH = seg.zH.detach();
    const newZL = seg.zL.detach();
    const steps = add(stepsBefore, 1);
    const isLast = ge(steps, cfg.halt_max_steps);
    let halted = isLast;
    if (explore) {
      halted = logicalOr(halted, gt(seg.qHaltLogits, seg.qContinueLogits));
      const minHalt = drawMinHaltSteps(opts.rng!, B, cfg.halt_max_steps, cfg.halt_exploration_prob);
      halted = logicalAnd(halted, ge(steps, tensor(minHalt, { shape: [B], dtype: 'i32' })));
      outputs.targetQContinue = tidy(() => {
        const again = runSegment(model, newZH, newZL, embedCurrent(model, inputs, puzzleIdentifiers, false).x, 'one-step');
        return sigmoid(where(isLast, again.qHaltLogits, maximum(again.qHaltLogits, again.qContinueLogits)));
      });
    }
    return { zH: newZH, zL: newZL, steps, halted };
  });

  const newCarry: ACTCarry = {
    batchSize: B,
    zH: next.zH.keep(),
    zL: next.zL.keep(),
    steps: next.steps.keep(),
    halted: next.halted.keep(),
    inputs: inputs.keep(),
    labels: labels.keep(),
    puzzleIdentifiers: puzzleIdentifiers.keep(),
  };
  return { carry: newCarry, outputs };
}
