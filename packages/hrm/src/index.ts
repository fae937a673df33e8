// Model, ACT and losses
export * from './config.js';
export { HRM, type HRMOptions, type HeadOutputs, type FloatDType } from './model/hrm.js';
export { parameterSpecs, bufferSpecs, countTrainableParameters, blockKeys, KEYS as STATE_DICT_KEYS, type TensorSpec } from './model/params.js';
export { runSegment, type SegmentOutputs } from './model/segment.js';
export { initialCarry, disposeCarry, carryTensors, readCarryState, type ACTCarry } from './act/carry.js';
export { actStep, drawMinHaltSteps, type ActOutputs, type ActStepOptions } from './act/step.js';
export {
  trainStep,
  trainStepOnDevice,
  trainStepMetrics,
  TRAIN_STEP_VALUES,
  type DeviceTrainStep,
  type Optimizers,
  type TrainStepMetrics,
  type TrainStepOptions,
} from './act/train-step.js';
export * from './losses.js';
export * from './state-dict.js';
export * from './trace.js';
export { OFFICIAL_CONFIG_FILE, officialConfigFromYaml } from './official-config.js';
// Inference in a page, a worker, Deno or Node
export {
  HRMSession,
  type CheckpointSource,
  type CreateSessionOptions,
  type LoadProgress,
  type SegmentUpdate,
  type SessionBackend,
  type SolveOptions,
} from './session.js';

// Training and evaluation (browser-safe; files and the CLI are in ./node)
export { NonFiniteError, Trainer, streamSeeds, type TrainerSnapshot, type TrainRecord } from './train/trainer.js';
export {
  DEFAULT_TRAINING,
  TRAINING_KEYS,
  TRAINING_SCHEMA,
  totalSteps,
  validateTrainingConfig,
  type TrainingConfig,
  type TrainingSettings,
} from './train/training-config.js';
export { parseSettings, SettingsError, flagName, type Field, type Schema } from './schema.js';
export {
  evaluateBatch,
  evaluateDataset,
  type EvaluateOptions,
  type EvaluateResult,
  type SegmentPrediction,
  type EvalMetrics,
  type EvalOutputs,
  type LearnedHalting,
} from './evaluate.js';
export { segmentPredictions, type SegmentResult } from './train/segments.js';
export { WEIGHTS_PREFIX, BUFFER_KEYS, weightEntries, loadWeights, checkpointPrefix, countCheckpointParameters } from './train/checkpoint.js';
export { encodeState, decodeState, type EncodedState } from './train/state-codec.js';
export { learningCurveSvg } from './train/plot.js';
export type { MetricsRecord } from './train/metrics.js';
// Reports
export { arcReport, evalReport, isArcDataset, type EvalReport, type EvalSource } from './report/eval-report.js';
export { lineChart, barChart, escapeXml, type LineChartOptions, type LineSeries, type BarChartOptions, type BarGroup } from './report/svg.js';
// Datasets: layout, batching, Sudoku / Maze / ARC builders, ARC voting
export * from './data/index.js';
