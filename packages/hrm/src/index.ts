// Model, ACT and losses
export * from './config.js';
export { HRM, type HRMOptions, type HeadOutputs, type FloatDType } from './model/hrm.js';
export { parameterSpecs, bufferSpecs, countTrainableParameters, blockKeys, KEYS as STATE_DICT_KEYS, type TensorSpec } from './model/params.js';
export { runSegment, type SegmentOutputs } from './model/segment.js';
export { initialCarry, disposeCarry, carryTensors, readCarryState, type ACTCarry } from './act/carry.js';
export { actStep, drawMinHaltSteps, type ActOutputs, type ActStepOptions } from './act/step.js';
export { trainStep, type Optimizers, type TrainStepOptions } from './act/train-step.js';
export * from './losses.js';
export * from './state-dict.js';
export * from './trace.js';

// Training and evaluation (browser-safe; files and the CLI are in ./node)
export { Trainer, streamSeeds, type TrainerSnapshot } from './train/trainer.js';
export { DEFAULT_TRAINING, TRAINING_KEYS, totalSteps, validateTrainingConfig, type TrainingConfig } from './train/training-config.js';
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
export { lineChart, barChart, escapeXml, type LineChartOptions, type LineSeries, type BarChartOptions, type BarGroup } from './report/svg.js';
// Datasets: layout, batching, Sudoku / Maze / ARC builders, ARC voting
export * from './data/index.js';
