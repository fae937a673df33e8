/**
 * @hrm-webgpu/hrm/node: the Node-only parts (files, the terminal): training runs with their
 * output folder, checkpoint files and the metrics log, loading a model from a checkpoint and
 * configuration files, the batches of a trace, and the CLI.
 */
export { InterruptedError, runTraining, readRunConfig, type RunConfig, type RunOptions, type RunResult } from './train/run.js';
export {
  describeCheckpoint,
  latestCheckpointStep,
  readCheckpointFile,
  readTrainingCheckpoint,
  storedConfig,
  trainingStateFile,
  weightsFile,
  writeModelCheckpoint,
  writeTrainingCheckpoint,
  type CheckpointDescription,
} from './train/checkpoint-files.js';
export { MetricsLog, readMetricsLog } from './train/metrics-log.js';
export { loadModel, type LoadedModel } from './node/load-model.js';
export { readJsonFile, splitConfigObject } from './node/config-file.js';
export { readTraceBatches } from './node/trace-batches.js';
export { main, type Command } from './commands/main.js';
export { createProgress, formatDuration, type Progress, type ProgressOptions, type FieldValue } from './report/progress.js';
export * from './data/node/index.js';
