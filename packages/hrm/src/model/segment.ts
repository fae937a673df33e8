/**
 * One segment of the HRM recursion (spec 2.6): H_cycles x L_cycles L steps and H_cycles H steps.
 *
 * 'one-step' (official): every step but the last L and the last H runs without gradient, each in
 * its own tidy scope that keeps only the new state, so the memory a training step holds does not
 * depend on the number of cycles; the last L and H steps are differentiated. The incoming states
 * are constants. 'bptt' differentiates every step of the segment (memory grows with the cycles).
 */
import { type Tensor, add, noGrad, tidy } from '@hrm-webgpu/tensor';
import type { GradientMode } from '../config.js';
import type { HRM, HeadOutputs } from './hrm.js';

export interface SegmentOutputs extends HeadOutputs {
  /** States after the segment (still attached to the graph; detach for the carry). */
  zH: Tensor;
  zL: Tensor;
}

/**
 * Runs the recursion from (zH, zL) with input embedding x [B, S, hidden] and applies the heads.
 * Call inside tidy(): the differentiated part stays in the caller's scope for backward().
 */
export function runSegment(model: HRM, zH0: Tensor, zL0: Tensor, x: Tensor, gradient: GradientMode): SegmentOutputs {
  const { H_cycles: hCycles, L_cycles: lCycles } = model.config;
  let zH = zH0;
  let zL = zL0;
  // Replaces a state by the result of a no-grad step, freeing the previous one unless it is an input.
  const advance = (previous: Tensor, step: () => Tensor): Tensor => {
    if (gradient === 'bptt') return step();
    const next = tidy(() => noGrad(step));
    if (previous !== zH0 && previous !== zL0) previous.dispose();
    return next;
  };
  for (let h = 0; h < hCycles; h++) {
    for (let l = 0; l < lCycles; l++) {
      if (h === hCycles - 1 && l === lCycles - 1) break;
      zL = advance(zL, () => model.stepL(zL, add(zH, x)));
    }
    if (h !== hCycles - 1) zH = advance(zH, () => model.stepH(zH, zL));
  }
  zL = model.stepL(zL, add(zH, x));
  zH = model.stepH(zH, zL);
  return { zH, zL, ...model.heads(zH) };
}
