/** `hrm train`: trains an HRM and writes checkpoints, a metrics log and a learning curve. */
import type { Command } from './main.js';
import { readRunConfig, runTraining } from '../train/run.js';
import type { SourceOptions } from '../data/node/sources.js';
import { boolFlag, numberFlag, parseFlags, requiredStringFlag, stringFlag, UsageError, type ParsedFlags } from './args.js';
import { initBackendFromFlags, backendFlags } from './backend.js';
import { loadTrainingData } from './data-source.js';
import { resolveSettings, settingFlags, settingGiven, settingUsage } from './model-flags.js';

const usage = `Usage: hrm train --data PATH --out DIR [--preset NAME | --config FILE] [flags]
       hrm train --out DIR --resume

Trains an HRM on a dataset folder (built by \`hrm data build\` or the official builders) or a raw
source (a puzzle-line file, an ARC folder), evaluating on its test split.

  --data PATH          dataset folder or raw source
  --out DIR            output folder (checkpoints, metrics.jsonl, learning-curve.svg)
  --preset NAME        sudoku | maze | arc (official architecture) | sudoku4x4 (small) |
                       sudoku9 (a 9x9 recipe: architecture and training settings)
  --config FILE        JSON with official field names (flat, or model fields under "arch")
  --augmentations N    raw sources: augmented copies of each training puzzle (default 0)
  --test-data PATH     raw sources: a separate test file (default: hold out 10% of --data)
  --resume             continue the run in --out from its latest checkpoint
  --stop-at N          stop after checkpointing step N (continue later with --resume)
  --no-progress        plain log lines instead of the progress bar
  --backend B          cpu | webgpu | auto (default: HRM_BACKEND or auto)

Settings (kebab-case flags; the official snake_case names are accepted too). The training ones
are saved in run.json and kept by --resume. A step whose loss or gradient norm is not finite
stops the run (exit code 1, no checkpoint after it) unless --skip-nonfinite allows skipping it;
SIGINT or SIGTERM saves a checkpoint of the current step and exits with 130 or 143.
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
    if (stopAt !== undefined && stopAt < 1) throw new UsageError(`--stop-at must be a positive integer, got ${stopAt}`);
    const common = {
      out,
      progress: !boolFlag(flags, 'no-progress'),
      ...(stopAt !== undefined ? { stopAtStep: stopAt } : {}),
    };
    if (resume) {
      const given = ['preset', 'config', 'augmentations', 'test-data'].find((k) => flags.values[k] !== undefined) ?? settingGiven(flags);
      if (given !== undefined) throw new UsageError(`--${given} cannot be combined with --resume: the run keeps its saved configuration`);
      const saved = readRunConfig(out);
      // The run continues on the backend it started on unless --backend or HRM_BACKEND says otherwise.
      await initBackendFromFlags(flags, saved.backend);
      const data = stringFlag(flags, 'data') ?? saved.data;
      const splits = await loadTrainingData(data, saved.dataOptions ?? {});
      await runTraining({ ...saved, ...common, data, train: splits.train, ...(splits.test ? { test: splits.test } : {}), resume: true });
      return;
    }

    await initBackendFromFlags(flags);
    const data = requiredStringFlag(flags, 'data');
    const dataOptions = sourceOptions(flags, numberFlag(flags, 'seed', 'integer') ?? 0);
    const splits = await loadTrainingData(data, dataOptions);
    const preset = stringFlag(flags, 'preset');
    const configFile = stringFlag(flags, 'config');
    const { arch, training } = resolveSettings({ flags, ...(preset ? { preset } : {}), ...(configFile ? { configFile } : {}) }, splits.train.metadata);
    await runTraining({ arch, training, data, dataOptions, ...common, train: splits.train, ...(splits.test ? { test: splits.test } : {}) });
  },
};
