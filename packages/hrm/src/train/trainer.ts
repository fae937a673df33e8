/**
 * The training state machine, browser-safe: the model, its two optimisers (AdamATan2 over the
 * parameters, sparse SignSGD over the puzzle-embedding table), the ACT carry, the batch stream
 * and the exploration RNG. `next()` runs one training step (one ACT segment for the whole batch,
 * spec section 4) at the scheduled learning rates; `snapshot()`/`Trainer.resume` capture and
 * restore everything a later step depends on, so a resumed run continues bit for bit.
 */
import { concat, Rng, type AdamState, type Tensor } from '@hrm-webgpu/tensor';
import { initialCarry, type ACTCarry } from '../act/carry.js';
import { isFiniteStep, TRAIN_STEP_VALUES, trainStepMetrics, trainStepOnDevice, type Optimizers } from '../act/train-step.js';
import { examplesPerEpoch, trainBatches, type TrainBatch, type TrainBatchState } from '../data/batching.js';
import type { PuzzleDataset } from '../data/dataset.js';
import { reduceMetrics } from '../losses.js';
import type { HRM } from '../model/hrm.js';
import type { MetricsRecord } from './metrics.js';
import { createOptimizers, learningRates } from './optimizers.js';
import { totalSteps, validateTrainingConfig, type TrainingConfig, type TrainingSettings } from './training-config.js';

/** Everything the next step depends on besides the model's weights. */
export interface TrainerSnapshot {
  step: number;
  actRng: ReturnType<Rng['state']>;
  /** Absent before the first step. */
  data?: TrainBatchState;
  optimizer: AdamState;
  carry: ACTCarry;
  /** Steps skipped so far for a non-finite loss or gradient (absent: none). */
  skipped?: number;
}

/** Seeds of the independent random streams of one run, derived from its seed. */
export const streamSeeds = (seed: number) => ({ init: seed, act: seed + 1, data: seed + 2 });

/** A training step's record, without the time (the caller's clock). */
export type TrainRecord = Omit<MetricsRecord, 'time'>;

/** Training diverged: a step's loss or gradient norm was not finite (beyond the allowed skips). */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
  }
}

interface PendingStep {
  step: number;
  epoch: number;
  lr: number;
  puzzleEmbLr: number;
  metrics: Tensor;
  skipped: boolean;
}

export class Trainer {
  readonly totalSteps: number;
  readonly config: TrainingConfig;
  private readonly optimizers: Required<Optimizers>;
  private readonly batches: Generator<TrainBatch>;
  /** Steps run whose metrics are still on the device. */
  private pending: PendingStep[] = [];

  private constructor(
    readonly model: HRM,
    settings: TrainingSettings,
    train: PuzzleDataset,
    public step: number,
    private readonly actRng: Rng,
    private dataState: TrainBatchState | undefined,
    private carry: ACTCarry,
    private skipped: number,
  ) {
    this.config = validateTrainingConfig(settings);
    this.totalSteps = totalSteps(this.config, examplesPerEpoch(train));
    this.optimizers = createOptimizers(model, this.config);
    const seeds = streamSeeds(this.config.seed);
    this.batches = trainBatches(train, {
      globalBatchSize: this.config.global_batch_size,
      seed: seeds.data,
      ...(dataState ? { resume: dataState } : {}),
    });
  }

  static start(model: HRM, train: PuzzleDataset, config: TrainingSettings): Trainer {
    const carry = initialCarry(model, config.global_batch_size);
    return new Trainer(model, config, train, 0, new Rng(streamSeeds(config.seed).act), undefined, carry, 0);
  }

  /** A trainer that continues from `snapshot`; the model must already hold the matching weights. */
  static resume(model: HRM, train: PuzzleDataset, config: TrainingSettings, snapshot: TrainerSnapshot): Trainer {
    const t = new Trainer(model, config, train, snapshot.step, Rng.fromState(snapshot.actRng), snapshot.data, snapshot.carry, snapshot.skipped ?? 0);
    t.optimizers.optimizer.loadStateDict(snapshot.optimizer);
    for (const moment of [...snapshot.optimizer.m, ...snapshot.optimizer.v]) moment.dispose();
    return t;
  }

  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  /** Steps run since the last `flush()`. */
  get pendingSteps(): number {
    return this.pending.length;
  }

  /** The learning rates of step `step` (counted from 1, as the reference does). */
  learningRates(step: number): { lr: number; puzzleEmbLr: number } {
    return learningRates(step, this.totalSteps, this.config);
  }

  /** Runs one training step; its metrics stay on the device until `flush()`. */
  async advance(): Promise<void> {
    const drawn = this.batches.next();
    if (drawn.done) throw new Error('the training data ran out before the last step');
    const step = this.step + 1;
    const { lr, puzzleEmbLr } = this.learningRates(step);
    const result = await trainStepOnDevice(this.model, this.optimizers, this.carry, drawn.value.batch, {
      lr,
      puzzleEmbLr,
      rng: this.actRng,
      globalBatchSize: this.config.global_batch_size,
      skipNonFinite: this.config.skip_nonfinite > 0,
    });
    this.carry = result.carry;
    this.dataState = drawn.value.state;
    this.step = step;
    if (result.skipped) this.skipped++;
    this.pending.push({ step, epoch: drawn.value.epoch, lr, puzzleEmbLr, metrics: result.metrics, skipped: result.skipped });
  }

  /**
   * Reads the metrics of every step since the last flush back in one transfer and returns their
   * records, up to and including the first step that stops the run; `error` says why it stops
   * (a non-finite loss or gradient norm, or more skipped steps than `skip_nonfinite` allows).
   */
  async flush(): Promise<{ records: TrainRecord[]; error?: NonFiniteError }> {
    const pending = this.pending;
    this.pending = [];
    if (pending.length === 0) return { records: [] };
    const packed =
      pending.length === 1
        ? pending[0]!.metrics
        : concat(
            pending.map((p) => p.metrics),
            0,
          );
    let values: ArrayLike<number>;
    try {
      values = await packed.data();
    } finally {
      for (const p of pending) p.metrics.dispose();
      packed.dispose();
    }
    const width = TRAIN_STEP_VALUES.length;
    const records: TrainRecord[] = [];
    let skippedBefore = this.skipped - pending.filter((p) => p.skipped).length;
    for (const [i, p] of pending.entries()) {
      const row = Array.prototype.slice.call(values, i * width, (i + 1) * width) as number[];
      records.push(this.record(p, row));
      if (p.skipped) skippedBefore++;
      const error = this.stopReason(p, row, skippedBefore);
      if (error) return { records, error };
    }
    return { records };
  }

  /** Runs one step and returns its record (one readback per step); throws when the step stops the run. */
  async next(): Promise<TrainRecord> {
    await this.advance();
    const { records, error } = await this.flush();
    if (error) throw error;
    return records[0]!;
  }

  private record(p: PendingStep, row: number[]): TrainRecord {
    const raw = trainStepMetrics(row);
    const m = reduceMetrics(raw, 'train', this.config.global_batch_size);
    return {
      kind: 'train',
      step: p.step,
      epoch: p.epoch,
      lr: p.lr,
      puzzle_emb_lr: p.puzzleEmbLr,
      loss: m.lm_loss! + 0.5 * (m.q_halt_loss! + m.q_continue_loss!),
      lm_loss: m.lm_loss!,
      q_halt_loss: m.q_halt_loss!,
      q_continue_loss: m.q_continue_loss!,
      accuracy: m.accuracy!,
      exact_accuracy: m.exact_accuracy!,
      q_halt_accuracy: m.q_halt_accuracy!,
      steps: m.steps!,
      count: m.count!,
      grad_norm: raw.grad_norm,
      ...(p.skipped ? { skipped: true } : {}),
    };
  }

  private stopReason(p: PendingStep, row: number[], skippedSoFar: number): NonFiniteError | undefined {
    if (isFiniteStep(row)) return undefined;
    const m = trainStepMetrics(row);
    const what = `step ${p.step}: the loss is ${m.lm_loss + 0.5 * (m.q_halt_loss + m.q_continue_loss)} and the gradient norm ${m.grad_norm}`;
    const limit = this.config.skip_nonfinite;
    if (!p.skipped) return new NonFiniteError(p.step, `training diverged at ${what} (at lr ${p.lr}; a lower lr or skip_nonfinite may help)`);
    if (skippedSoFar > limit)
      return new NonFiniteError(p.step, `training diverged at ${what}: ${skippedSoFar} non-finite steps skipped, more than skip_nonfinite ${limit} allows`);
    return undefined;
  }

  /** Everything the next step depends on. Flush first: a snapshot with steps still pending is refused. */
  snapshot(): TrainerSnapshot {
    if (this.pending.length > 0) throw new Error(`Trainer.snapshot: ${this.pending.length} step(s) not flushed; call flush() before a checkpoint`);
    return {
      step: this.step,
      actRng: this.actRng.state(),
      ...(this.dataState ? { data: this.dataState } : {}),
      optimizer: this.optimizers.optimizer.stateDict(),
      carry: this.carry,
      ...(this.skipped > 0 ? { skipped: this.skipped } : {}),
    };
  }
}
