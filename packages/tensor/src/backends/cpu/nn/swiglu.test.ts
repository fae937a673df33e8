import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { cpuData, expectGradient } from '../../../testing/gradcheck.js';
import { awkwardSize, floatDtype, seedArb, seeded, smallSize } from '../../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

const silu = (g: number) => g / (1 + Math.exp(-g));

describe('cpu swiglu', () => {
  it('computes silu(gate) * up with the gate in the first half of each row', async () => {
    await fc.assert(
      fc.asyncProperty(smallSize, awkwardSize, floatDtype, seedArb, async (rows, inter, dtype, seed) => {
        const gu = seeded(seed, rows * 2 * inter, -4, 4);
        const x = dtype === 'f32' ? Array.from(new Float32Array(gu)) : gu;
        const ref: number[] = [];
        for (let r = 0; r < rows; r++) for (let j = 0; j < inter; j++) ref.push(silu(x[r * 2 * inter + j]!) * x[r * 2 * inter + inter + j]!);
        const tol = dtype === 'f32' ? 1e-6 : 1e-13;
        expectClose(await values(backend.swiglu(store(dtype, gu), rows, inter)), ref, { rtol: tol, atol: tol });
      }),
      { numRuns: 30 },
    );
  });

  it('backward matches finite differences in f64', () => {
    fc.assert(
      fc.property(smallSize, awkwardSize, seedArb, (rows, inter, seed) => {
        const gu = seeded(seed, rows * 2 * inter, -4, 4);
        const dy = seeded(seed + 1, rows * inter);
        const forward = (v: number[]) => cpuData(backend.swiglu(store('f64', v), rows, inter));
        expectGradient(forward, gu, dy, cpuData(backend.swigluBackward(store('f64', gu), store('f64', dy), rows, inter)));
      }),
      { numRuns: 20 },
    );
  });
});
