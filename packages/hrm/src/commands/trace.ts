/**
 * `hrm trace`: per-segment outputs, one training segment's loss and gradients, or a few full
 * training steps, of a checkpoint on given batches, written as safetensors, for checking against
 * other implementations.
 */
import { writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { Rng } from '@hrm-webgpu/tensor';
import type { Command } from './main.js';
import { disposeCarry, initialCarry } from '../act/carry.js';
import type { PuzzleBatch } from '../data/types.js';
import { readJsonFile, splitConfigObject } from '../node/config-file.js';
import { loadModel } from '../node/load-model.js';
import { readTraceBatches } from '../node/trace-batches.js';
import {
  advanceCarry,
  gradientTraceFile,
  segmentTraceFile,
  traceSegments,
  traceTrainGradients,
  traceTrainingSteps,
  trainingStepsTraceFile,
  type StepHyperparameters,
  type TraceFile,
} from '../trace.js';
import { WEIGHTS_PREFIX } from '../train/checkpoint.js';
import { DEFAULT_TRAINING, validateTrainingConfig, type TrainingConfig } from '../train/training-config.js';
import { numberFlag, oneOf, parseFlags, requiredStringFlag, stringFlag, UsageError, type ParsedFlags } from './args.js';
import { backendFlags, initBackendFromFlags } from './backend.js';

const usage = `Usage: hrm trace CHECKPOINT --batch FILE --out FILE [--config FILE]
                 [--segments N | --train | --train-steps K] [--warmup N]

Runs a checkpoint on a batch and writes the results as safetensors:
  default   N evaluation segments from the initial carry: segments.{i}.logits [B, seq_len, vocab],
            segments.{i}.q_halt_logits [B], segments.{i}.q_continue_logits [B]
  --train   one training segment: 'loss' (the summed total loss; gradients are of loss / B) and
            the gradient of every parameter under its official key (prefix --prefix), plus
            puzzle_emb.local_weights (the gradient of the batch's puzzle-embedding rows); the
            segment's logits, q_halt_logits, q_continue_logits, target_q_continue (the sigmoid
            of the bootstrapped Q value, halt_max_steps > 1), and the carry's bookkeeping going
            in and out: carry_in.steps, carry_in.halted, carry_out.steps, carry_out.halted (i32)
  --train-steps K
            K full training steps (ACT segment, loss, backward, sparse SignSGD on the puzzle
            rows, AdamATan2) at the warmup-cosine learning rates, from fresh optimiser state.
            Hyperparameters: the training fields of --config (official names: lr, puzzle_emb_lr,
            weight_decay, puzzle_emb_weight_decay, beta1, beta2, lr_warmup_steps, lr_min_ratio,
            and steps, the schedule's total, default K), the reference's defaults otherwise.
            Per step k (from 0): train_steps.{k}.lr, .puzzle_emb_lr, .loss, .carry.steps,
            .carry.halted, and every parameter and buffer after the step, puzzle table
            included, as train_steps.{k}.{prefix}{key}
  --warmup N
            with --train or --train-steps: first run N training-mode segments without gradients
            or updates, so that the traced segment starts from a carry with halted and running
            slots mixed, as in training (halting by Q values, exploration, reset and swap-in)

  --batch FILE      safetensors with inputs [B, seq_len], labels [B, seq_len] (-100 = ignored)
                    and puzzle_identifiers [B], all i32 (i64/u8 are narrowed/widened): the same
                    batch for every segment; or stacks [T, B, seq_len] and [T, B] with one batch
                    per segment, warm-up first (T = N + 1 with --train, N + K with --train-steps).
                    Only halted slots take the new batch's rows, as in training
  --config FILE     configuration JSON with the official field names, or all_config.yaml
                    (default: the one stored in the checkpoint, or all_config.yaml beside it)
  --segments N      evaluation segments (default: halt_max_steps)
  --seed N          seed of the halting exploration (default 0); for a deterministic comparison
                    with another implementation set halt_exploration_prob to 0 in --config
  --prefix STR      key prefix of the gradients and weights (default: ${WEIGHTS_PREFIX})
  --dtype D         f32 (default) or f64 (CPU backend only)
  --out FILE        output safetensors file
  --backend B       cpu | webgpu | auto`;

/** `count` batches: the single one repeated, or the stack, which must hold exactly `count`. */
function batchesFor(batches: PuzzleBatch[], count: number, file: string): PuzzleBatch[] {
  if (batches.length === 1) return Array.from({ length: count }, () => batches[0]!);
  if (batches.length !== count) throw new UsageError(`${file} stacks ${batches.length} batches; this trace runs ${count} segments`);
  return batches;
}

/** The training fields of --config over the reference's defaults; the schedule's total defaults to `steps`. */
function stepHyperparameters(configFile: string | undefined, steps: number): StepHyperparameters {
  const fields = configFile ? splitConfigObject(readJsonFile(configFile, 'config file'), configFile).training : {};
  const training = { ...DEFAULT_TRAINING, steps, ...fields } as TrainingConfig;
  validateTrainingConfig(training);
  return { ...training, steps: training.steps! };
}

function modeOf(flags: ParsedFlags): 'segments' | 'train' | 'train-steps' {
  const given = (['segments', 'train', 'train-steps'] as const).filter((k) => flags.values[k] !== undefined);
  if (given.length > 1) throw new UsageError(`--${given[0]} cannot be combined with --${given[1]}`);
  if (flags.values.warmup !== undefined && !(given[0] === 'train' || given[0] === 'train-steps'))
    throw new UsageError('--warmup needs --train or --train-steps');
  return given[0] ?? 'segments';
}

export const traceCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(
      argv,
      {
        batch: { type: 'string' },
        config: { type: 'string' },
        segments: { type: 'string' },
        train: { type: 'boolean' },
        'train-steps': { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        prefix: { type: 'string' },
        dtype: { type: 'string' },
        out: { type: 'string' },
        ...backendFlags,
      },
      true,
    );
    const [checkpoint, ...extra] = flags.positionals;
    if (checkpoint === undefined) throw new UsageError('missing the checkpoint file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const batchFile = requiredStringFlag(flags, 'batch');
    const out = requiredStringFlag(flags, 'out');
    const mode = modeOf(flags);
    const warmup = numberFlag(flags, 'warmup', 'integer') ?? 0;
    if (warmup < 0) throw new UsageError('--warmup must be at least 0');
    const trainSteps = numberFlag(flags, 'train-steps', 'integer');
    if (trainSteps !== undefined && trainSteps < 1) throw new UsageError('--train-steps must be at least 1');
    const dtype = oneOf('--dtype', stringFlag(flags, 'dtype') ?? 'f32', ['f32', 'f64'] as const);
    const prefix = stringFlag(flags, 'prefix') ?? WEIGHTS_PREFIX;
    const configFile = stringFlag(flags, 'config');
    const hyper = trainSteps !== undefined ? stepHyperparameters(configFile, trainSteps) : undefined;

    await initBackendFromFlags(flags);
    const { model, config } = await loadModel(checkpoint, configFile, dtype);
    const batches = await readTraceBatches(batchFile, config);
    let trace: TraceFile;
    let summary: string;
    if (mode === 'segments') {
      const segments = numberFlag(flags, 'segments', 'integer') ?? config.halt_max_steps;
      if (segments < 1) throw new UsageError('--segments must be at least 1');
      const [batch] = batchesFor(batches, 1, batchFile);
      trace = segmentTraceFile(await traceSegments(model, batch!, segments));
      summary = `${segments} segments of ${batch!.size} rows`;
    } else {
      const traced = mode === 'train' ? 1 : trainSteps!;
      const all = batchesFor(batches, warmup + traced, batchFile);
      const rng = new Rng(numberFlag(flags, 'seed', 'integer') ?? 0);
      const carry = advanceCarry(model, initialCarry(model, all[0]!.size), all.slice(0, warmup), rng);
      if (mode === 'train') {
        try {
          const gradients = await traceTrainGradients(model, all[warmup]!, { rng, carry });
          trace = gradientTraceFile(gradients, prefix);
          summary = `loss ${gradients.loss} (gradients of loss / ${gradients.lossDivisor}); ${gradients.gradients.size} gradients`;
        } finally {
          disposeCarry(carry);
        }
      } else {
        const result = await traceTrainingSteps(model, carry, all.slice(warmup), hyper!, rng);
        disposeCarry(result.carry);
        trace = trainingStepsTraceFile(result.steps, prefix);
        summary = `${result.steps.length} training steps, losses ${result.steps.map((s) => s.loss.toPrecision(6)).join(', ')}`;
      }
    }
    await writeSafetensorsFile(out, trace.entries, { checkpoint, batch: batchFile, warmup: String(warmup), ...trace.metadata });
    console.log(`${summary}${warmup > 0 ? ` after ${warmup} warm-up segments` : ''} -> ${out}`);
  },
};
