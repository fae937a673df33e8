import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { cpuData, expectGradient } from '../../../testing/gradcheck.js';
import { floatDtype, seedArb, seeded, smallSize } from '../../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

/** A standard RoPE table: angle t * base^(-2i/dim), repeated over both halves. */
function ropeTable(seq: number, dim: number): { cos: number[]; sin: number[] } {
  const cos: number[] = [];
  const sin: number[] = [];
  for (let t = 0; t < seq; t++) {
    for (let j = 0; j < dim; j++) {
      const angle = t * 10000 ** (-(2 * (j % (dim / 2))) / dim);
      cos.push(Math.cos(angle));
      sin.push(Math.sin(angle));
    }
  }
  return { cos, sin };
}

const dims = fc.record({ batch: fc.integer({ min: 1, max: 2 }), heads: fc.integer({ min: 1, max: 3 }), seq: smallSize, half: fc.constantFrom(1, 2, 3, 5) });

describe('cpu rope', () => {
  it('matches x * cos + rotateHalf(x) * sin', async () => {
    await fc.assert(
      fc.asyncProperty(dims, floatDtype, seedArb, async ({ batch, heads, seq, half }, dtype, seed) => {
        const dim = 2 * half;
        const x = seeded(seed, batch * heads * seq * dim);
        const { cos, sin } = ropeTable(seq, dim);
        const xs = dtype === 'f32' ? Array.from(new Float32Array(x)) : x;
        const [c, s] = dtype === 'f32' ? [Array.from(new Float32Array(cos)), Array.from(new Float32Array(sin))] : [cos, sin];
        const ref = xs.map((v, i) => {
          const j = i % dim;
          const t = Math.floor(i / dim) % seq;
          const rotated = j < half ? -xs[i + half]! : xs[i - half];
          return v * c[t * dim + j]! + rotated! * s[t * dim + j]!;
        });
        const out = await values(backend.rope(store(dtype, x), store(dtype, cos), store(dtype, sin), batch, heads, seq, dim, false));
        const tol = dtype === 'f32' ? 1e-6 : 1e-13;
        expectClose(out, ref, { rtol: tol, atol: tol });
      }),
      { numRuns: 30 },
    );
  });

  it('adjoint is the backward pass for arbitrary tables (finite differences in f64)', () => {
    fc.assert(
      fc.property(dims, seedArb, ({ batch, heads, seq, half }, seed) => {
        const dim = 2 * half;
        const x = seeded(seed, batch * heads * seq * dim);
        const dy = seeded(seed + 1, x.length);
        // Random tables whose halves differ: the inverse rotation would not be the gradient here.
        const c = store('f64', seeded(seed + 2, seq * dim));
        const s = store('f64', seeded(seed + 3, seq * dim));
        const forward = (v: number[]) => cpuData(backend.rope(store('f64', v), c, s, batch, heads, seq, dim, false));
        expectGradient(forward, x, dy, cpuData(backend.rope(store('f64', dy), c, s, batch, heads, seq, dim, true)));
      }),
      { numRuns: 20 },
    );
  });

  it('adjoint undoes the rotation for standard tables', () => {
    fc.assert(
      fc.property(dims, seedArb, ({ batch, heads, seq, half }, seed) => {
        const dim = 2 * half;
        const x = seeded(seed, batch * heads * seq * dim);
        const { cos, sin } = ropeTable(seq, dim);
        const c = store('f64', cos);
        const s = store('f64', sin);
        const y = backend.rope(store('f64', x), c, s, batch, heads, seq, dim, false);
        expectClose(cpuData(backend.rope(y, c, s, batch, heads, seq, dim, true)), x, { rtol: 1e-13, atol: 1e-13 });
      }),
      { numRuns: 20 },
    );
  });

  it('rejects odd dims', () => {
    expect(() => backend.rope(store('f32', [1, 2, 3]), store('f32', [1, 1, 1]), store('f32', [0, 0, 0]), 1, 1, 1, 3, false)).toThrow(
      /cpu\.rope: expected an even dim, found 3/,
    );
  });
});
