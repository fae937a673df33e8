/**
 * `hrm trace`: per-segment outputs, or one training segment's loss and gradients, of a checkpoint
 * on a given batch, written as safetensors, for checking against other implementations.
 */
import { writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { Rng, type SafetensorsTensor } from '@hrm-webgpu/tensor';
import type { Command } from './main.js';
import type { PuzzleBatch } from '../data/types.js';
import { segmentTraceEntries, traceSegments, traceTrainGradients, type HostArray } from '../trace.js';
import { readCheckpointFile } from '../train/checkpoint-files.js';
import { WEIGHTS_PREFIX } from '../train/checkpoint.js';
import { boolFlag, numberFlag, oneOf, parseFlags, requiredStringFlag, stringFlag, UsageError } from './args.js';
import { backendFlags, initBackendFromFlags } from './backend.js';
import { loadModel } from './load-model.js';

const usage = `Usage: hrm trace CHECKPOINT --batch FILE --out FILE [--config FILE] [--segments N | --train]

Runs a checkpoint on a batch from the initial carry and writes the results as safetensors:
  default   N evaluation segments: segments.{i}.logits [B, seq_len, vocab],
            segments.{i}.q_halt_logits [B], segments.{i}.q_continue_logits [B]
  --train   one training segment: 'loss' (the summed total loss; gradients are of loss / B) and
            the gradient of every parameter under its official key (prefix --prefix), plus
            puzzle_emb.local_weights (the gradient of the batch's puzzle-embedding rows)

  --batch FILE      safetensors with inputs [B, seq_len], labels [B, seq_len] (-100 = ignored)
                    and puzzle_identifiers [B], all i32 (i64/u8 are narrowed/widened)
  --config FILE     configuration JSON with the official field names (default: the one stored
                    in the checkpoint)
  --segments N      evaluation segments (default: halt_max_steps)
  --seed N          seed of the halting exploration in --train (default 0; it never changes gradients)
  --prefix STR      key prefix of the gradients (default: ${WEIGHTS_PREFIX})
  --dtype D         f32 (default) or f64 (CPU backend only)
  --out FILE        output safetensors file
  --backend B       cpu | webgpu | auto`;

async function readBatch(file: string, seqLen: number): Promise<PuzzleBatch> {
  const map = await readCheckpointFile(file);
  const get = (name: string, rank: number) => {
    const t = map.get(name);
    if (!t) throw new Error(`${file}: missing tensor '${name}'`);
    if (t.dtype !== 'i32') throw new Error(`${file}: tensor '${name}' must be an integer tensor, found ${t.dtype}`);
    if (t.shape.length !== rank) throw new Error(`${file}: tensor '${name}' must have rank ${rank}, found shape [${t.shape.join(', ')}]`);
    return t;
  };
  const inputs = get('inputs', 2);
  const labels = get('labels', 2);
  const ids = get('puzzle_identifiers', 1);
  const [size, len] = inputs.shape as [number, number];
  if (len !== seqLen) throw new Error(`${file}: inputs have ${len} positions, the configuration's seq_len is ${seqLen}`);
  if (labels.shape[0] !== size || labels.shape[1] !== len) throw new Error(`${file}: labels shape [${labels.shape.join(', ')}] differs from inputs [${size}, ${len}]`);
  if (ids.shape[0] !== size) throw new Error(`${file}: puzzle_identifiers has ${ids.shape[0]} entries for ${size} rows`);
  return { size, seqLen, inputs: inputs.data as Int32Array, labels: labels.data as Int32Array, puzzleIdentifiers: ids.data as Int32Array };
}

function entry(a: HostArray): SafetensorsTensor {
  return a.data instanceof Float64Array ? { dtype: 'f64', shape: a.shape, data: a.data } : { dtype: 'f32', shape: a.shape, data: Float32Array.from(a.data) };
}

export const traceCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(argv, {
      batch: { type: 'string' },
      config: { type: 'string' },
      segments: { type: 'string' },
      train: { type: 'boolean' },
      seed: { type: 'string' },
      prefix: { type: 'string' },
      dtype: { type: 'string' },
      out: { type: 'string' },
      ...backendFlags,
    }, true);
    const [checkpoint, ...extra] = flags.positionals;
    if (checkpoint === undefined) throw new UsageError('missing the checkpoint file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const batchFile = requiredStringFlag(flags, 'batch');
    const out = requiredStringFlag(flags, 'out');
    const train = boolFlag(flags, 'train');
    if (train && flags.values.segments !== undefined) throw new UsageError('--segments cannot be combined with --train');
    const dtype = oneOf('--dtype', stringFlag(flags, 'dtype') ?? 'f32', ['f32', 'f64'] as const);
    const prefix = stringFlag(flags, 'prefix') ?? WEIGHTS_PREFIX;

    await initBackendFromFlags(flags);
    const { model, config } = await loadModel(checkpoint, stringFlag(flags, 'config'), dtype);
    const batch = await readBatch(batchFile, config.seq_len);
    const entries: Record<string, SafetensorsTensor> = {};
    const metadata: Record<string, string> = { checkpoint, batch: batchFile };
    if (train) {
      const trace = await traceTrainGradients(model, batch, { rng: new Rng(numberFlag(flags, 'seed', 'integer') ?? 0) });
      entries.loss = { dtype: 'f64', shape: [], data: Float64Array.of(trace.loss) };
      for (const [key, g] of trace.gradients) entries[prefix + key] = entry(g);
      metadata.loss_divisor = String(trace.lossDivisor);
      metadata.metrics = JSON.stringify(trace.metrics);
      console.log(`loss ${trace.loss} (gradients of loss / ${trace.lossDivisor}); ${trace.gradients.size} gradients -> ${out}`);
    } else {
      const segments = numberFlag(flags, 'segments', 'integer') ?? config.halt_max_steps;
      if (segments < 1) throw new UsageError('--segments must be at least 1');
      const trace = await traceSegments(model, batch, segments);
      for (const [name, a] of Object.entries(segmentTraceEntries(trace))) entries[name] = entry(a);
      console.log(`${segments} segments of ${batch.size} rows -> ${out}`);
    }
    await writeSafetensorsFile(out, entries, metadata);
  },
};
