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
import { removeStaleTemporaries, writeFileAtomic } from '@hrm-webgpu/tensor/node';
import { backendName, Rng, type BackendName } from '@hrm-webgpu/tensor';
import type { PuzzleDataset } from '../data/dataset.js';
import { validateConfig, type HRMConfig } from '../config.js';
import { HRM } from '../model/hrm.js';
import { createProgress } from '../report/progress.js';
import { int, parseSettings, SettingsError, text } from '../schema.js';
import { evaluateDataset, type EvalMetrics } from '../evaluate.js';
import { latestCheckpointStep, readTrainingCheckpoint, writeTrainingCheckpoint } from './checkpoint-files.js';
import { MetricsLog } from './metrics-log.js';
import type { MetricsRecord } from './metrics.js';
import { learningCurveSvg } from './plot.js';
import { streamSeeds, Trainer, type TrainRecord } from './trainer.js';
import { validateTrainingConfig, type TrainingConfig, type TrainingSettings } from './training-config.js';

export interface RunConfig {
  arch: HRMConfig;
  training: TrainingSettings;
  /** The backend the run started on; `--resume` keeps it. */
  backend?: BackendName;
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
  /** Show the progress bar (default: true); false prints plain periodic lines instead. */
  progress?: boolean;
  /** Where status lines go (default: console.log). */
  print?: (line: string) => void;
  /** Save a checkpoint and stop on these signals (default: SIGINT and SIGTERM; [] for none). */
  stopSignals?: readonly NodeJS.Signals[];
}

export interface RunResult {
  model: HRM;
  step: number;
  lastEval?: EvalMetrics;
  records: MetricsRecord[];
}

/** A run stopped by a signal after saving its checkpoint; `exitCode` is the shell's 128 + signal number. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const RUN_FILE = 'run.json';
const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n');
const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

const PATH_TEXT = { pattern: /^[^\0]{1,4096}$/, patternDoc: '1 to 4096 characters, no NUL' };
/** run.json's `dataOptions`: how a raw source was split and augmented. */
const DATA_OPTIONS_SCHEMA = {
  seed: int('seed of the split and augmentation', { min: -(2 ** 52), max: 2 ** 52, optional: true }),
  augmentations: int('augmented copies of each training puzzle', { min: 0, max: 100000, optional: true }),
  testSource: text('a separate test source', { ...PATH_TEXT, optional: true }),
};

/** Reads and checks `out`/run.json: the model and training configurations against their schemas, the data source and options. */
export function readRunConfig(out: string): RunConfig & { training: TrainingConfig } {
  const file = join(out, RUN_FILE);
  if (!existsSync(file)) throw new Error(`${file} not found: nothing to resume in ${out}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read it as JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SettingsError(`${file}: expected an object with "arch", "training" and "data"`);
  const { arch, training, data, dataOptions, backend, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new SettingsError(`${file}: unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  const { data: source } = parseSettings({ data: text('the data source', PATH_TEXT) }, { data }, file);
  return {
    arch: validateConfig(arch, `${file} "arch"`),
    training: validateTrainingConfig(training, `${file} "training"`),
    data: source,
    ...(dataOptions !== undefined ? { dataOptions: parseSettings(DATA_OPTIONS_SCHEMA, dataOptions, `${file} "dataOptions"`) } : {}),
    ...(backend !== undefined ? { backend: runBackend(backend, file) } : {}),
  };
}

function runBackend(value: unknown, file: string): BackendName {
  if (value === 'cpu' || value === 'webgpu') return value;
  throw new SettingsError(`${file}: "backend" must be "cpu" or "webgpu", found ${JSON.stringify(value)}`);
}

function assertFreshOutput(out: string): void {
  if (!existsSync(out)) return;
  const taken = readdirSync(out).filter((f) => f === RUN_FILE || f === 'metrics.jsonl' || /^step_\d+/.test(f));
  if (taken.length > 0) {
    throw new Error(`${out} already holds a run (${taken[0]}); continue it with --resume or choose another --out`);
  }
}

/** Records a signal instead of dying on it, so that the loop can save a checkpoint first. */
function catchSignals(signals: readonly NodeJS.Signals[]): { received: () => NodeJS.Signals | undefined; release: () => void } {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    received ??= signal;
    // A second signal while the checkpoint is written ends the process the usual way (writes are atomic).
    release();
  };
  const release = () => {
    for (const s of signals) process.removeListener(s, handler);
  };
  for (const s of signals) process.once(s, handler);
  return { received: () => received, release };
}

export async function runTraining(opts: RunOptions): Promise<RunResult> {
  const { out, arch } = opts;
  const print = opts.print ?? ((line: string) => console.log(line));
  const training = validateTrainingConfig(opts.training);
  if (!opts.resume) assertFreshOutput(out);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the output folder ${out}: ${(e as Error).message}`);
  }
  const stale = await removeStaleTemporaries(out);
  if (stale.length > 0) print(`removed ${stale.length} temporary file(s) that an interrupted write left in ${out}`);

  const model = new HRM(arch, { rng: new Rng(streamSeeds(training.seed).init) });
  let trainer: Trainer;
  let log: MetricsLog;
  let elapsed = 0;
  const resumeStep = opts.resume ? latestCheckpointStep(out) : undefined;
  if (opts.resume && resumeStep === undefined) throw new Error(`no complete checkpoint in ${out} to resume from`);
  if (resumeStep !== undefined) {
    const saved = await readTrainingCheckpoint(out, resumeStep, model, training.global_batch_size);
    try {
      trainer = Trainer.resume(model, opts.train, training, saved.snapshot);
    } catch (e) {
      throw new Error(`cannot resume from step ${resumeStep} in ${out}: ${(e as Error).message}`);
    }
    elapsed = saved.elapsed;
    log = await MetricsLog.resume(join(out, 'metrics.jsonl'), resumeStep, print);
    print(`resumed from ${join(out, `step_${resumeStep}.safetensors`)}`);
  } else {
    await writeFileAtomic(
      join(out, RUN_FILE),
      encodeJson({
        arch,
        training,
        backend: backendName(),
        data: opts.data,
        ...(opts.dataOptions ? { dataOptions: opts.dataOptions } : {}),
      } satisfies RunConfig),
    );
    trainer = Trainer.start(model, opts.train, training);
    log = await MetricsLog.create(join(out, 'metrics.jsonl'));
  }

  const total = trainer.totalSteps;
  const evalEvery = training.eval_every;
  const evalBatch = training.eval_batch_size ?? training.global_batch_size;
  const progress = createProgress({ total, label: 'train', fields: ['loss', 'exact', 'eval'], plain: opts.progress === false });
  const startedAt = performance.now();
  const now = () => elapsed + (performance.now() - startedAt) / 1000;
  let lastEval: EvalMetrics | undefined;
  let lastEvalText = '-';
  const recentExact: [number, number][] = [];
  /** Seconds of training when each pending step was run. */
  const stepTimes: number[] = [];

  const showProgress = (record: TrainRecord) => {
    // Exact accuracy over the sequences that halted in the last steps (a step may halt none).
    if (record.count > 0) recentExact.push([record.exact_accuracy * record.count, record.count]);
    if (recentExact.length > 20) recentExact.shift();
    const halted = recentExact.reduce((n, [, c]) => n + c, 0);
    const exact = halted > 0 ? `${((100 * recentExact.reduce((n, [e]) => n + e, 0)) / halted).toFixed(1)}%` : '-';
    progress.update(record.step, { loss: record.loss!.toFixed(4), exact, eval: lastEvalText });
  };

  /** Reads the pending steps' metrics back and logs them; stops the run at a non-finite step. */
  const flush = async () => {
    const times = stepTimes.splice(0);
    const { records, error } = await trainer.flush();
    records.forEach((record, i) => {
      log.append({ ...record, time: times[i]! });
      showProgress(record);
    });
    if (error) {
      const last = latestCheckpointStep(out);
      throw new Error(`${error.message}. No checkpoint is written after it; the last one is ${last === undefined ? 'none' : `step_${last}`} in ${out}.`);
    }
  };

  const evaluateAndSave = async () => {
    if (opts.test) {
      const result = await evaluateDataset(model, opts.test, { batchSize: evalBatch, ...(training.eval_limit ? { limit: training.eval_limit } : {}) });
      lastEval = result.metrics;
      lastEvalText = `${(100 * lastEval.exact_accuracy).toFixed(1)}%`;
      log.append({ kind: 'eval', step: trainer.step, ...lastEval, time: now() });
      await writeFileAtomic(join(out, 'eval.json'), encodeJson({ step: trainer.step, ...lastEval }));
    }
    await writeTrainingCheckpoint(out, trainer, arch, training, now());
  };

  const signals = catchSignals(opts.stopSignals ?? ['SIGINT', 'SIGTERM']);
  try {
    progress.update(trainer.step, { loss: '-', exact: '-', eval: lastEvalText });
    while (!trainer.done) {
      await trainer.advance();
      // A step on the CPU backend settles only microtasks and the log is appended synchronously:
      // without a turn of the event loop a real SIGINT/SIGTERM would never reach its handler.
      await new Promise<void>((resolve) => setImmediate(resolve));
      stepTimes.push(now());
      const atEval = evalEvery > 0 && trainer.step % evalEvery === 0;
      const atCheckpoint = atEval || trainer.done || trainer.step === opts.stopAtStep;
      const signal = signals.received();
      // Metrics are read back once per log interval, and always before a checkpoint.
      if (atCheckpoint || signal || trainer.pendingSteps >= training.log_every) await flush();
      if (atCheckpoint) await evaluateAndSave();
      // A signal during the last step lets the run finish as it would have.
      if (signal && !trainer.done) {
        await writeTrainingCheckpoint(out, trainer, arch, training, now());
        throw new InterruptedError(`stopped by ${signal} after saving step_${trainer.step} in ${out}; continue with --resume`, SIGNAL_CODES[signal] ?? 1);
      }
      if (trainer.step === opts.stopAtStep) break;
    }
  } finally {
    signals.release();
    progress.stop();
  }

  const records = log.records();
  await writeFileAtomic(join(out, 'learning-curve.svg'), new TextEncoder().encode(learningCurveSvg(records)));
  if (lastEval) {
    print(`step ${trainer.step}: exact accuracy ${(100 * lastEval.exact_accuracy).toFixed(2)}% on ${lastEval.count} test examples`);
  }
  return { model, step: trainer.step, ...(lastEval ? { lastEval } : {}), records };
}
