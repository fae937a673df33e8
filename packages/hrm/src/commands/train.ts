/** `hrm train`: trains an HRM and writes checkpoints, a metrics log and a learning curve. */
import type { Command } from './main.js';
import { readRunConfig, runTraining } from '../train/run.js';
import type { SourceOptions } from '../data/node/sources.js';
import { boolFlag, numberFlag, parseFlags, requiredStringFlag, stringFlag, UsageError, type ParsedFlags } from './args.js';
import { initBackendFromFlags, backendFlags } from './backend.js';
import { loadTrainingData } from './data-source.js';
import { resolveSettings, settingFlags, settingUsage } from './model-flags.js';

const usage = `Usage: hrm train --data PATH --out DIR [--preset NAME | --config FILE] [flags]
       hrm train --out DIR --resume

Trains an HRM on a dataset folder (built by \`hrm data build\` or the official builders) or a raw
source (a puzzle-line file, an ARC folder), evaluating on its test split.

  --data PATH          dataset folder or raw source
  --out DIR            output folder (checkpoints, metrics.jsonl, learning-curve.svg)
  --preset NAME        sudoku | maze | arc (official architecture) | sudoku4x4 (small) |
                       sudoku9 (a 9x9 recipe: architecture and training settings)
  --config FILE        JSON with official field names (flat, or model fields under "arch")
  --steps N            total training steps (one step = one ACT segment)
  --epochs N           or: epochs over the training split
  --seed N             seed of the run (initialisation, data order, exploration)
  --eval-every N       evaluate and checkpoint every N steps (default: only at the end)
  --eval-limit N       evaluate on at most N test examples during training
  --augmentations N    raw sources: augmented copies of each training puzzle (default 0)
  --test-data PATH     raw sources: a separate test file (default: hold out 10% of --data)
  --resume             continue the run in --out from its latest checkpoint
  --stop-at N          stop after checkpointing step N (continue later with --resume)
  --no-progress        plain log lines instead of the progress bar
  --backend B          cpu | webgpu | auto (default: HRM_BACKEND or auto)
${settingUsage}`;

/** How a raw source is split and augmented (dataset folders are read as they are). */
function sourceOptions(flags: ParsedFlags, seed: number): SourceOptions {
  const augmentations = numberFlag(flags, 'augmentations', 'integer');
  const testSource = stringFlag(flags, 'test-data');
  return { seed, ...(augmentations !== undefined ? { augmentations } : {}), ...(testSource !== undefined ? { testSource } : {}) };
}

export const trainCommand: Command = {
  usage,
  async run(argv) {
    const flags = parseFlags(argv, {
      data: { type: 'string' },
      out: { type: 'string' },
      preset: { type: 'string' },
      config: { type: 'string' },
      'eval-every': { type: 'string' },
      'eval-limit': { type: 'string' },
      resume: { type: 'boolean' },
      'stop-at': { type: 'string' },
      'no-progress': { type: 'boolean' },
      augmentations: { type: 'string' },
      'test-data': { type: 'string' },
      ...backendFlags,
      ...settingFlags,
    });
    const out = requiredStringFlag(flags, 'out');
    const resume = boolFlag(flags, 'resume');
    const stopAt = numberFlag(flags, 'stop-at', 'integer');
    const evalLimit = numberFlag(flags, 'eval-limit', 'integer');
    const common = {
      out,
      progress: !boolFlag(flags, 'no-progress'),
      ...(stopAt !== undefined ? { stopAtStep: stopAt } : {}),
      ...(evalLimit !== undefined ? { evalLimit } : {}),
    };
    await initBackendFromFlags(flags);

    if (resume) {
      const settingsGiven = ['preset', 'config', 'augmentations', 'test-data', 'eval-every', ...Object.keys(settingFlags)].filter((k) => flags.values[k] !== undefined);
      if (settingsGiven.length > 0) throw new UsageError(`--${settingsGiven[0]} cannot be combined with --resume: the run keeps its saved configuration`);
      const saved = readRunConfig(out);
      const data = stringFlag(flags, 'data') ?? saved.data;
      const splits = await loadTrainingData(data, saved.dataOptions ?? {});
      await runTraining({ ...saved, ...common, data, train: splits.train, ...(splits.test ? { test: splits.test } : {}), resume: true });
      return;
    }

    const data = requiredStringFlag(flags, 'data');
    const dataOptions = sourceOptions(flags, numberFlag(flags, 'seed', 'integer') ?? 0);
    const splits = await loadTrainingData(data, dataOptions);
    const evalEvery = numberFlag(flags, 'eval-every', 'integer');
    if (evalEvery !== undefined) flags.values.eval_every = String(evalEvery);
    const preset = stringFlag(flags, 'preset');
    const configFile = stringFlag(flags, 'config');
    const { arch, training } = resolveSettings({ flags, ...(preset ? { preset } : {}), ...(configFile ? { configFile } : {}) }, splits.train.metadata);
    await runTraining({ arch, training, data, dataOptions, ...common, train: splits.train, ...(splits.test ? { test: splits.test } : {}) });
  },
};
