/**
 * The training state machine, browser-safe: the model, its two optimisers (AdamATan2 over the
 * parameters, sparse SignSGD over the puzzle-embedding table), the ACT carry, the batch stream
 * and the exploration RNG. `next()` runs one training step (one ACT segment for the whole batch,
 * spec section 4) at the scheduled learning rates; `snapshot()`/`Trainer.resume` capture and
 * restore everything a later step depends on, so a resumed run continues bit for bit.
 */
import { Rng, type AdamState } from '@hrm-webgpu/tensor';
import { initialCarry, type ACTCarry } from '../act/carry.js';
import { trainStep, type Optimizers } from '../act/train-step.js';
import { examplesPerEpoch, trainBatches, type TrainBatch, type TrainBatchState } from '../data/batching.js';
import type { PuzzleDataset } from '../data/dataset.js';
import { reduceMetrics } from '../losses.js';
import type { HRM } from '../model/hrm.js';
import type { MetricsRecord } from './metrics.js';
import { createOptimizers, learningRates } from './optimizers.js';
import { totalSteps, type TrainingConfig } from './training-config.js';

/** Everything the next step depends on besides the model's weights. */
export interface TrainerSnapshot {
  step: number;
  actRng: ReturnType<Rng['state']>;
  /** Absent before the first step. */
  data?: TrainBatchState;
  optimizer: AdamState;
  carry: ACTCarry;
}

/** Seeds of the independent random streams of one run, derived from its seed. */
export const streamSeeds = (seed: number) => ({ init: seed, act: seed + 1, data: seed + 2 });

export class Trainer {
  readonly totalSteps: number;
  private readonly optimizers: Required<Optimizers>;
  private readonly batches: Generator<TrainBatch>;

  private constructor(
    readonly model: HRM,
    readonly config: TrainingConfig,
    train: PuzzleDataset,
    public step: number,
    private readonly actRng: Rng,
    private dataState: TrainBatchState | undefined,
    private carry: ACTCarry,
  ) {
    this.totalSteps = totalSteps(config, examplesPerEpoch(train));
    this.optimizers = createOptimizers(model, config);
    const seeds = streamSeeds(config.seed);
    this.batches = trainBatches(train, {
      globalBatchSize: config.global_batch_size,
      seed: seeds.data,
      ...(dataState ? { resume: dataState } : {}),
    });
  }

  static start(model: HRM, train: PuzzleDataset, config: TrainingConfig): Trainer {
    const carry = initialCarry(model, config.global_batch_size);
    return new Trainer(model, config, train, 0, new Rng(streamSeeds(config.seed).act), undefined, carry);
  }

  /** A trainer that continues from `snapshot`; the model must already hold the matching weights. */
  static resume(model: HRM, train: PuzzleDataset, config: TrainingConfig, snapshot: TrainerSnapshot): Trainer {
    const t = new Trainer(model, config, train, snapshot.step, Rng.fromState(snapshot.actRng), snapshot.data, snapshot.carry);
    t.optimizers.optimizer.loadStateDict(snapshot.optimizer);
    for (const moment of [...snapshot.optimizer.m, ...snapshot.optimizer.v]) moment.dispose();
    return t;
  }

  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  /** The learning rates of step `step` (counted from 1, as the reference does). */
  learningRates(step: number): { lr: number; puzzleEmbLr: number } {
    return learningRates(step, this.totalSteps, this.config);
  }

  /** Runs one training step and returns its metrics (time left for the caller to fill). */
  async next(): Promise<Omit<MetricsRecord, 'time'>> {
    const drawn = this.batches.next();
    if (drawn.done) throw new Error('the training data ran out before the last step');
    const step = this.step + 1;
    const { lr, puzzleEmbLr } = this.learningRates(step);
    const result = await trainStep(this.model, this.optimizers, this.carry, drawn.value.batch, {
      lr,
      puzzleEmbLr,
      rng: this.actRng,
      globalBatchSize: this.config.global_batch_size,
    });
    this.carry = result.carry;
    this.dataState = drawn.value.state;
    this.step = step;
    const m = reduceMetrics(result.metrics, 'train', this.config.global_batch_size);
    const qContinue = m.q_continue_loss ?? 0;
    return {
      kind: 'train',
      step,
      epoch: drawn.value.epoch,
      lr,
      puzzle_emb_lr: puzzleEmbLr,
      loss: m.lm_loss! + 0.5 * (m.q_halt_loss! + qContinue),
      lm_loss: m.lm_loss!,
      q_halt_loss: m.q_halt_loss!,
      q_continue_loss: qContinue,
      accuracy: m.accuracy!,
      exact_accuracy: m.exact_accuracy!,
      q_halt_accuracy: m.q_halt_accuracy!,
      steps: m.steps!,
      count: m.count!,
    };
  }

  snapshot(): TrainerSnapshot {
    return {
      step: this.step,
      actRng: this.actRng.state(),
      ...(this.dataState ? { data: this.dataState } : {}),
      optimizer: this.optimizers.optimizer.stateDict(),
      carry: this.carry,
    };
  }
}
