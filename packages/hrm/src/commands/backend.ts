/** The `--backend cpu|webgpu|auto` flag shared by the subcommands (HRM_BACKEND when absent). */
import { initBackend } from '@hrm-webgpu/tensor/node';
import { oneOf, stringFlag, type FlagSpec, type ParsedFlags } from './args.js';

export const backendFlags: FlagSpec = { backend: { type: 'string' } };

const CHOICES = ['cpu', 'webgpu', 'auto'] as const;

export async function initBackendFromFlags(flags: ParsedFlags): Promise<void> {
  const raw = stringFlag(flags, 'backend');
  await initBackend(raw === undefined ? undefined : oneOf('--backend', raw, CHOICES));
}
