/**
 * The learning-rate schedule of the HRM reference (`pretrain.py`, `cosine_schedule_with_warmup_lr_lambda`):
 * linear warmup, then a half cosine from the base rate down to `minRatio * baseLr`.
 */

export interface WarmupCosineOptions {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Fraction of baseLr reached at totalSteps; the reference's default is 1 (constant after warmup). */
  minRatio: number;
}

/**
 * The learning rate at `step` (counted from 1, as the reference counts optimiser steps).
 * As in the reference, both denominators are at least 1, and past totalSteps the cosine is not
 * clamped: it rises again.
 */
export function warmupCosineLr(step: number, { baseLr, warmupSteps, totalSteps, minRatio }: WarmupCosineOptions): number {
  if (step < warmupSteps) return (baseLr * step) / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return baseLr * (minRatio + Math.max(0, (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress))));
}
