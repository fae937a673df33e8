// Model, ACT and losses
export * from './config.js';
export { HRM, type HRMOptions, type HeadOutputs, type FloatDType } from './model/hrm.js';
export { parameterSpecs, bufferSpecs, countTrainableParameters, blockKeys, KEYS as STATE_DICT_KEYS, type TensorSpec } from './model/params.js';
export { runSegment, type SegmentOutputs } from './model/segment.js';
export { initialCarry, disposeCarry, carryTensors, readCarryState, type ACTCarry } from './act/carry.js';
export { actStep, drawMinHaltSteps, type ActOutputs, type ActStepOptions } from './act/step.js';
export { trainStep, type Optimizers, type TrainStepOptions } from './act/train-step.js';
export { evaluateBatch, type EvaluateOptions, type EvaluateResult, type SegmentPrediction } from './act/evaluate.js';
export * from './losses.js';
export * from './state-dict.js';
export * from './trace.js';
