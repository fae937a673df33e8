/** Messages between the page and the inference worker. */
import type { LoadProgress, SessionBackend } from '@hrm-webgpu/hrm';

export type ToWorker =
  | { type: 'load'; source: string | ArrayBuffer; configYaml?: string; backend: SessionBackend; name: string }
  | { type: 'solve'; board: number[] };

export interface ModelInfo {
  backend: string;
  adapter: string;
  seqLen: number;
  haltMaxSteps: number;
  parameters: string;
}

export interface SegmentMessage {
  segment: number;
  board: number[];
  haltProbability: number;
  qHaltLogit: number;
  qContinueLogit: number;
  wouldHalt: boolean;
}

export type FromWorker =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'loaded'; info: ModelInfo }
  | { type: 'segment'; segment: SegmentMessage }
  | { type: 'solved'; ms: number }
  | { type: 'error'; message: string };
