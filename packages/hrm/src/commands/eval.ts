/**
 * `hrm eval`: runs a checkpoint over a dataset split (halt_max_steps segments per example) and
 * reports the metrics of spec section 5; Sudoku data with ratings also gets exact accuracy by
 * difficulty bucket, ARC data pass@1 and pass@2 by voting over augmentations. With --segments the
 * same pass records accuracy against segments (inference-time scaling). Writes a JSON report.
 */
import { writeFileAtomic } from '@hrm-webgpu/tensor/node';
import type { Command } from './main.js';
import { evaluateDataset, type EvalOutputs } from '../evaluate.js';
import { createProgress } from '../report/progress.js';
import { numberFlag, oneOf, parseFlags, stringFlag, UsageError } from './args.js';
import { backendFlags, initBackendFromFlags } from './backend.js';
import { loadEvalData } from './data-source.js';
import { loadModel } from '../node/load-model.js';
import { evalReport } from '../report/eval-report.js';
import { segmentsSvg } from '../report/segments.js';

const usage = `Usage: hrm eval CHECKPOINT --data PATH [flags]

Evaluates a checkpoint (step_N.safetensors, a torch.save state dict, or an official release folder
with checkpoint + all_config.yaml) on a dataset folder or raw source: accuracy, exact_accuracy, q_halt_accuracy, steps; Sudoku exact accuracy by
difficulty bucket, with the mean segments the learned halting (q_halt > q_continue) would use;
ARC pass@1 and pass@2. Writes the JSON report to --report.

  --data PATH        dataset folder or raw source
  --split NAME       train or test (default: a dataset folder's test split, else train;
                     every puzzle of a raw source)
  --config FILE      configuration (JSON, or all_config.yaml) for checkpoints that have none
  --batch-size N     rows per evaluation batch (default: 256)
  --limit N          evaluate only the first N examples
  --segments LIST    also the metrics after each of these segment counts (e.g. 1,2,4,8,16), from
                     the same pass; past halt_max_steps the segments run on as with a larger
                     halt_max_steps. Adds them to the report and draws them beside it (.segments.svg)
  --report FILE      where to write the JSON report (default: CHECKPOINT with .eval.json)
  --backend B        cpu | webgpu | auto`;

/** --segments 1,2,4: positive integers, comma-separated. */
function segmentList(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`--segments expects positive integers separated by commas, got '${raw}'`);
    return n;
  });
}

export const evalCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(
      argv,
      {
        data: { type: 'string' },
        split: { type: 'string' },
        config: { type: 'string' },
        'batch-size': { type: 'string' },
        limit: { type: 'string' },
        report: { type: 'string' },
        segments: { type: 'string' },
        ...backendFlags,
      },
      true,
    );
    const [checkpoint, ...extra] = flags.positionals;
    if (checkpoint === undefined) throw new UsageError('missing the checkpoint file');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const dataPath = stringFlag(flags, 'data');
    if (dataPath === undefined) throw new UsageError('missing required flag --data');
    const batchSize = numberFlag(flags, 'batch-size', 'integer') ?? 256;
    if (batchSize < 1) throw new UsageError('--batch-size must be at least 1');
    const limit = numberFlag(flags, 'limit', 'integer');
    const reportFile = stringFlag(flags, 'report') ?? checkpoint.replace(/\/+$/, '').replace(/\.safetensors$/, '') + '.eval.json';
    const segmentCounts = segmentList(stringFlag(flags, 'segments'));

    await initBackendFromFlags(flags);
    const splitName = stringFlag(flags, 'split');
    const data = await loadEvalData(dataPath, splitName === undefined ? undefined : oneOf('--split', splitName, ['train', 'test'] as const));
    const { model, config, step } = await loadModel(checkpoint, stringFlag(flags, 'config'));
    for (const k of ['seq_len', 'vocab_size'] as const) {
      if (config[k] !== data.metadata[k]) throw new Error(`the checkpoint's ${k} is ${config[k]} but the data's is ${data.metadata[k]}`);
    }
    const total = Math.min(data.labels.length / data.metadata.seq_len, limit ?? Infinity);
    const progress = createProgress({ total, label: 'eval', fields: [] });
    let out: EvalOutputs;
    try {
      out = await evaluateDataset(model, data, {
        batchSize,
        ...(limit !== undefined ? { limit } : {}),
        ...(segmentCounts ? { segmentCounts } : {}),
        onBatch: (done) => progress.update(done, {}),
      });
    } finally {
      progress.stop();
    }

    const report = evalReport(
      { checkpoint, data: dataPath, ...(step !== undefined ? { step } : {}) },
      data,
      out,
      config.halt_max_steps,
      segmentCounts !== undefined,
    );
    const m = out.metrics;
    const percent = (v: number) => `${(100 * v).toFixed(2)}%`;
    console.log(`examples: ${m.count}`);
    console.log(
      `exact_accuracy: ${percent(m.exact_accuracy)}  accuracy: ${percent(m.accuracy)}  q_halt_accuracy: ${percent(m.q_halt_accuracy)}  steps: ${m.steps.toFixed(2)}`,
    );
    console.log(
      `learned halting: ${out.halting.mean_segments.toFixed(2)} segments on average (of ${out.halting.max_segments}), exact accuracy there ${percent(out.halting.exact_accuracy)}`,
    );
    if (report.sudoku) {
      console.log("exact accuracy by difficulty (solver backtracks), and the learned halting's mean segments:");
      for (const b of report.sudoku.buckets) {
        console.log(
          `  ${b.label.padEnd(12)} ${percent(b.exact_accuracy).padStart(7)}  halts at ${b.mean_halt_segments.toFixed(2).padStart(5)}  (${b.count} puzzles)`,
        );
      }
    }
    if (report.segments) {
      console.log('exact accuracy by segments run:');
      report.segments.segments.forEach((s, i) => console.log(`  ${String(s).padStart(4)}  ${percent(report.segments!.exact_accuracy[i]!).padStart(7)}`));
      const svgFile = reportFile.replace(/\.json$/, '') + '.segments.svg';
      await writeFileAtomic(svgFile, new TextEncoder().encode(segmentsSvg(report.segments)));
      console.log(`accuracy against segments: ${svgFile}`);
    }
    if (report.arc) {
      console.log(`ARC: ${report.arc.tasks} tasks, pass@1 ${(100 * report.arc.passAt[1]!).toFixed(2)}%, pass@2 ${(100 * report.arc.passAt[2]!).toFixed(2)}%`);
    }
    await writeFileAtomic(reportFile, new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n'));
    console.log(`report: ${reportFile}`);
  },
};
