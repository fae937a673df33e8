/**
 * A state-dict file in either format this engine reads, told apart by its first bytes:
 * a `torch.save` file (zip or legacy) or safetensors (browser-safe).
 */
import { parseSafetensors, type SafetensorsMap } from './safetensors.js';
import { isTorchFile, parseTorchStateDict } from './torch.js';

export type StateDictFormat = 'torch' | 'safetensors';

export function stateDictFormat(bytes: Uint8Array): StateDictFormat {
  return isTorchFile(bytes) ? 'torch' : 'safetensors';
}

/** Decodes every tensor of a safetensors or `torch.save` file; errors name `source`. */
export function parseStateDictFile(bytes: Uint8Array, source: string): SafetensorsMap {
  return stateDictFormat(bytes) === 'torch' ? parseTorchStateDict(bytes, source) : parseSafetensors(bytes, source);
}
