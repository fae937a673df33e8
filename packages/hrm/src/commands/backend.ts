/** The `--backend cpu|webgpu|auto` flag shared by the subcommands (HRM_BACKEND when absent). */
import { initBackend, type BackendPreference } from '@hrm-webgpu/tensor/node';
import { oneOf, stringFlag, type FlagSpec, type ParsedFlags } from './args.js';

export const backendFlags: FlagSpec = { backend: { type: 'string' } };

const CHOICES = ['cpu', 'webgpu', 'auto'] as const;

/**
 * --backend first, then HRM_BACKEND (undefined: initBackend reads it), then `fallback` (a resumed
 * run's own backend), then auto.
 */
export function backendPreference(flag: string | undefined, env: string | undefined, fallback?: BackendPreference): BackendPreference | undefined {
  if (flag !== undefined) return oneOf('--backend', flag, CHOICES);
  return env === undefined || env === '' ? fallback : undefined;
}

export async function initBackendFromFlags(flags: ParsedFlags, fallback?: BackendPreference): Promise<void> {
  await initBackend(backendPreference(stringFlag(flags, 'backend'), process.env.HRM_BACKEND, fallback));
}
