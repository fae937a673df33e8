/**
 * Kernel variants an engine may be told to use, per family. Unset families are chosen by the
 * kernel module (its timed trial, else a default by adapter kind). The HRM_* environment variables
 * are a command-line convenience, read once when a backend is created (`variantsFromEnv`).
 */
import { readEnv } from './env.js';

export const KERNEL_VARIANTS = {
  /** kernels/matmul.ts */
  matmul: ['blocked', 'tiled', 'staged', 'staged-narrow'],
  /** kernels/attention.ts */
  attention: ['single', 'blocked', 'subgroup'],
  /** Row kernels (softmax, RMSNorm, cross-entropy): kernels/nn-common.ts */
  rows: ['workgroup', 'thread'],
} as const;

export type VariantFamily = keyof typeof KERNEL_VARIANTS;
export type KernelVariants = { -readonly [F in VariantFamily]: (typeof KERNEL_VARIANTS)[F][number] };

const ENV_NAMES: Record<VariantFamily, string> = { matmul: 'HRM_MATMUL_VARIANT', attention: 'HRM_ATTENTION_LAYOUT', rows: 'HRM_ROW_LAYOUT' };

/** Checks every given choice against its family's variants (a clear error names the source). */
export function checkVariants(variants: Readonly<Record<string, string | undefined>>, source = 'variants'): Partial<KernelVariants> {
  for (const [family, choice] of Object.entries(variants)) {
    if (choice === undefined) continue;
    if (!Object.hasOwn(KERNEL_VARIANTS, family)) {
      throw new Error(`${source}: unknown kernel family '${family}' (expected one of ${Object.keys(KERNEL_VARIANTS).join(', ')})`);
    }
    const allowed: readonly string[] = KERNEL_VARIANTS[family as VariantFamily];
    if (!allowed.includes(choice)) throw new Error(`${source}: ${family}='${choice}', expected one of ${allowed.join(', ')}`);
  }
  return variants as Partial<KernelVariants>;
}

/** Choices from HRM_MATMUL_VARIANT, HRM_ATTENTION_LAYOUT and HRM_ROW_LAYOUT. */
export function variantsFromEnv(): Partial<KernelVariants> {
  const chosen: Record<string, string> = {};
  for (const family of Object.keys(ENV_NAMES) as VariantFamily[]) {
    const value = readEnv(ENV_NAMES[family]);
    if (value) chosen[family] = checkVariants({ [family]: value }, ENV_NAMES[family])[family]!;
  }
  return chosen;
}
