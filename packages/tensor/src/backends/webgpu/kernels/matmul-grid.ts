/** The dispatch grid shared by the matmul variants. */
import type { MatmulParams } from '../../../backend.js';
import type { WebGpuEngine } from '../engine.js';

export interface MatmulGrid {
  /** Workgroups along n and m. */
  x: number;
  y: number;
  /** Batch items per dispatch: z is limited per dimension, so large batches take several. */
  batchSlices: { base: number; count: number }[];
}

/** The grid covering a [m, n] output with tiles of `rows` x `cols`; throws where the adapter's per-dimension limit cannot. */
export function matmulGrid(engine: WebGpuEngine, p: MatmulParams, rows: number, cols: number): MatmulGrid {
  const x = Math.ceil(p.n / cols);
  const y = Math.ceil(p.m / rows);
  const maxPerDim = engine.limits.maxComputeWorkgroupsPerDimension;
  if (x > maxPerDim || y > maxPerDim) {
    throw new Error(`webgpu matmul: [${p.m}, ${p.n}] output needs more than ${maxPerDim} workgroups along one axis`);
  }
  const batchSlices = [];
  for (let base = 0; base < p.batch; base += maxPerDim) batchSlices.push({ base, count: Math.min(maxPerDim, p.batch - base) });
  return { x, y, batchSlices };
}
