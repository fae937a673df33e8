/**
 * A training run on disk (Node only). The output folder holds:
 *   run.json                the model and training configuration and the data source
 *   metrics.jsonl           one record per training step and per evaluation
 *   step_{N}.safetensors    the model's weights under the official keys (`model.inner.*`)
 *   step_{N}.train.safetensors  optimiser moments, ACT carry, RNG and data-stream state
 *   learning-curve.svg      loss and exact accuracy against steps
 *   eval.json               the last evaluation's metrics
 * Every file is written atomically (temporary file, then rename), and checkpoints are only
 * added, so an interrupted or failing run never destroys earlier results.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@hrm-webgpu/tensor/node';
import { Rng } from '@hrm-webgpu/tensor';
import type { PuzzleDataset } from '../data/dataset.js';
import type { HRMConfig } from '../config.js';
import { HRM } from '../model/hrm.js';
import { createProgress } from '../report/progress.js';
import { evaluateDataset, type EvalMetrics } from '../evaluate.js';
import { latestCheckpointStep, readTrainingCheckpoint, writeTrainingCheckpoint } from './checkpoint-files.js';
import { MetricsLog } from './metrics-log.js';
import type { MetricsRecord } from './metrics.js';
import { learningCurveSvg } from './plot.js';
import { streamSeeds, Trainer } from './trainer.js';
import { validateTrainingConfig, type TrainingConfig } from './training-config.js';

export interface RunConfig {
  arch: HRMConfig;
  training: TrainingConfig;
  /** Where the data came from, for the record and for `--resume`. */
  data: string;
  /** How a raw source was split and augmented, so that a resumed run reads the same data. */
  dataOptions?: { seed?: number; augmentations?: number; testSource?: string };
}

export interface RunOptions extends RunConfig {
  out: string;
  train: PuzzleDataset;
  test?: PuzzleDataset;
  /** Continue from the latest checkpoint in `out`. */
  resume?: boolean;
  /** Stop after checkpointing this step (continue later with `resume`). */
  stopAtStep?: number;
  /** Evaluate on at most this many test examples during training. */
  evalLimit?: number;
  /** Show the progress bar (default: true). */
  progress?: boolean;
  /** Where status lines go (default: console.log). */
  print?: (line: string) => void;
}

export interface RunResult {
  model: HRM;
  step: number;
  lastEval?: EvalMetrics;
  records: MetricsRecord[];
}

const RUN_FILE = 'run.json';
const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n');

export function readRunConfig(out: string): RunConfig {
  const file = join(out, RUN_FILE);
  if (!existsSync(file)) throw new Error(`${file} not found: nothing to resume in ${out}`);
  return JSON.parse(readFileSync(file, 'utf8')) as RunConfig;
}

function assertFreshOutput(out: string): void {
  if (!existsSync(out)) return;
  const taken = readdirSync(out).filter((f) => f === RUN_FILE || f === 'metrics.jsonl' || /^step_\d+/.test(f));
  if (taken.length > 0) {
    throw new Error(`${out} already holds a run (${taken[0]}); continue it with --resume or choose another --out`);
  }
}

export async function runTraining(opts: RunOptions): Promise<RunResult> {
  const { out, arch, training } = opts;
  const print = opts.print ?? ((line: string) => console.log(line));
  validateTrainingConfig(training);
  if (!opts.resume) assertFreshOutput(out);
  mkdirSync(out, { recursive: true });

  const model = new HRM(arch, { rng: new Rng(streamSeeds(training.seed).init) });
  let trainer: Trainer;
  let log: MetricsLog;
  let elapsed = 0;
  const resumeStep = opts.resume ? latestCheckpointStep(out) : undefined;
  if (opts.resume && resumeStep === undefined) throw new Error(`no complete checkpoint in ${out} to resume from`);
  if (resumeStep !== undefined) {
    const saved = await readTrainingCheckpoint(out, resumeStep, model);
    trainer = Trainer.resume(model, opts.train, training, saved.snapshot);
    elapsed = saved.elapsed;
    log = await MetricsLog.resume(join(out, 'metrics.jsonl'), resumeStep);
    print(`resumed from ${join(out, `step_${resumeStep}.safetensors`)}`);
  } else {
    await writeFileAtomic(join(out, RUN_FILE), encodeJson({ arch, training, data: opts.data, ...(opts.dataOptions ? { dataOptions: opts.dataOptions } : {}) } satisfies RunConfig));
    trainer = Trainer.start(model, opts.train, training);
    log = await MetricsLog.create(join(out, 'metrics.jsonl'));
  }

  const total = trainer.totalSteps;
  const evalEvery = training.eval_every;
  const evalBatch = training.eval_batch_size ?? training.global_batch_size;
  const progress = opts.progress === false ? undefined : createProgress({ total, label: 'train', fields: ['loss', 'exact', 'eval'] });
  const startedAt = performance.now();
  const now = () => elapsed + (performance.now() - startedAt) / 1000;
  let lastEval: EvalMetrics | undefined;
  let lastEvalText = '-';
  const recentExact: [number, number][] = [];

  const evaluateAndSave = async () => {
    if (opts.test) {
      const result = await evaluateDataset(model, opts.test, { batchSize: evalBatch, ...(opts.evalLimit ? { limit: opts.evalLimit } : {}) });
      lastEval = result.metrics;
      lastEvalText = `${(100 * lastEval.exact_accuracy).toFixed(1)}%`;
      log.append({ kind: 'eval', step: trainer.step, ...lastEval, time: now() });
      await writeFileAtomic(join(out, 'eval.json'), encodeJson({ step: trainer.step, ...lastEval }));
    }
    await writeTrainingCheckpoint(out, trainer, arch, training, now());
  };

  try {
    progress?.update(trainer.step, { loss: '-', exact: '-', eval: lastEvalText });
    while (!trainer.done) {
      const record: MetricsRecord = { ...(await trainer.next()), time: 0 };
      record.time = now();
      log.append(record);
      // Exact accuracy over the sequences that halted in the last steps (a step may halt none).
      if (record.count > 0) recentExact.push([record.exact_accuracy * record.count, record.count]);
      if (recentExact.length > 20) recentExact.shift();
      const halted = recentExact.reduce((n, [, c]) => n + c, 0);
      const exact = halted > 0 ? `${((100 * recentExact.reduce((n, [e]) => n + e, 0)) / halted).toFixed(1)}%` : '-';
      progress?.update(trainer.step, { loss: record.loss!.toFixed(4), exact, eval: lastEvalText });
      const atEval = evalEvery > 0 && trainer.step % evalEvery === 0;
      if (atEval || trainer.done || trainer.step === opts.stopAtStep) await evaluateAndSave();
      if (trainer.step === opts.stopAtStep) break;
    }
  } finally {
    progress?.stop();
  }

  const records = log.records();
  await writeFileAtomic(join(out, 'learning-curve.svg'), new TextEncoder().encode(learningCurveSvg(records)));
  if (lastEval) {
    print(`step ${trainer.step}: exact accuracy ${(100 * lastEval.exact_accuracy).toFixed(2)}% on ${lastEval.count} test examples`);
  }
  return { model, step: trainer.step, ...(lastEval ? { lastEval } : {}), records };
}
