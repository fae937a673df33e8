import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttentionParams } from '../../../backend.js';
import { createCpuBackend } from '../index.js';
import { expectClose, hostIO } from '../../../testing/compare.js';
import { cpuData, expectGradient } from '../../../testing/gradcheck.js';
import { floatDtype, seedArb, seeded, seededInts } from '../../../testing/seeded.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

/** Textbook attention, one query row at a time. */
function naiveAttention(q: number[], k: number[], v: number[], p: AttentionParams, mask: number[] | null): { o: number[]; lse: number[] } {
  const { batch, heads, seqQ, seqK, headDim: d, scale } = p;
  const o: number[] = [];
  const lse: number[] = [];
  for (let h = 0; h < batch * heads; h++) {
    for (let i = 0; i < seqQ; i++) {
      const s = Array.from({ length: seqK }, (_, j) => {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[(h * seqQ + i) * d + c]! * k[(h * seqK + j) * d + c]!;
        return dot * scale + (mask ? mask[i * seqK + j]! : 0);
      });
      const max = Math.max(...s);
      const l = max + Math.log(s.reduce((a, x) => a + Math.exp(x - max), 0));
      lse.push(l);
      for (let c = 0; c < d; c++) o.push(s.reduce((a, x, j) => a + Math.exp(x - l) * v[(h * seqK + j) * d + c]!, 0));
    }
  }
  return { o, lse };
}

const paramsArb = fc.record({
  batch: fc.integer({ min: 1, max: 2 }),
  heads: fc.integer({ min: 1, max: 2 }),
  seqQ: fc.constantFrom(1, 3, 5),
  seqK: fc.constantFrom(1, 2, 5, 7),
  headDim: fc.constantFrom(1, 3, 4),
  scale: fc.constantFrom(1, 0.5),
});

/** A mask with some -Infinity entries, but never on column 0 so that no row is fully masked. */
function randomMask(seed: number, seqQ: number, seqK: number): number[] {
  return seededInts(seed, seqQ * seqK, 0, 3).map((v, i) => (i % seqK === 0 ? 0.25 : v === 0 ? -Infinity : v - 1));
}

describe('cpu attention', () => {
  it('matches textbook attention with and without a mask, and returns the row log-sum-exp', async () => {
    await fc.assert(
      fc.asyncProperty(paramsArb, floatDtype, fc.boolean(), seedArb, async (p, dtype, masked, seed) => {
        const bh = p.batch * p.heads;
        const round = (a: number[]) => (dtype === 'f32' ? Array.from(new Float32Array(a)) : a);
        const q = round(seeded(seed, bh * p.seqQ * p.headDim, -2, 2));
        const k = round(seeded(seed + 1, bh * p.seqK * p.headDim, -2, 2));
        const v = round(seeded(seed + 2, bh * p.seqK * p.headDim, -2, 2));
        const mask = masked ? randomMask(seed + 3, p.seqQ, p.seqK) : null;
        const ref = naiveAttention(q, k, v, p, mask);
        const out = backend.attention(store(dtype, q), store(dtype, k), store(dtype, v), p, mask ? store('f32', mask) : undefined);
        const tol = dtype === 'f32' ? 1e-5 : 1e-12;
        expectClose(await values(out.o), ref.o, { rtol: tol, atol: tol });
        expectClose(await values(out.lse), ref.lse, { rtol: tol, atol: tol });
      }),
      { numRuns: 40 },
    );
  });

  it('in f32 agrees with the f64 kernel at training sizes, forward and backward', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(17, 33, 82), fc.constantFrom(5, 32), fc.boolean(), seedArb, async (seq, headDim, masked, seed) => {
        const p: AttentionParams = { batch: 2, heads: 2, seqQ: seq, seqK: seq, headDim, scale: 1 / Math.sqrt(headDim) };
        const n = 4 * seq * headDim;
        const inputs = [0, 1, 2, 3].map((i) => Array.from(new Float32Array(seeded(seed + i, n, -2, 2))));
        const mask = masked ? store('f32', randomMask(seed + 4, seq, seq)) : undefined;
        const run = (dtype: 'f32' | 'f64') => {
          const [q, k, v, dO] = inputs.map((x) => store(dtype, x));
          const { o, lse } = backend.attention(q!, k!, v!, p, mask);
          return [o, lse, ...Object.values(backend.attentionBackward(q!, k!, v!, o, lse, dO!, p, mask))];
        };
        const [f32, f64] = [run('f32'), run('f64')];
        for (let i = 0; i < f32.length; i++) expectClose(await values(f32[i]!), await values(f64[i]!), { rtol: 1e-4, atol: 1e-5 });
      }),
      { numRuns: 12 },
    );
  });

  it('backward matches finite differences for q, k and v in f64', () => {
    fc.assert(
      fc.property(paramsArb, fc.boolean(), seedArb, (p, masked, seed) => {
        const bh = p.batch * p.heads;
        const q = seeded(seed, bh * p.seqQ * p.headDim, -2, 2);
        const k = seeded(seed + 1, bh * p.seqK * p.headDim, -2, 2);
        const v = seeded(seed + 2, bh * p.seqK * p.headDim, -2, 2);
        const dO = seeded(seed + 3, q.length);
        const mask = masked ? store('f64', randomMask(seed + 4, p.seqQ, p.seqK)) : undefined;
        const run = (qq: number[], kk: number[], vv: number[]) => backend.attention(store('f64', qq), store('f64', kk), store('f64', vv), p, mask);
        const { o, lse } = run(q, k, v);
        const g = backend.attentionBackward(store('f64', q), store('f64', k), store('f64', v), o, lse, store('f64', dO), p, mask);
        expectGradient((x) => cpuData(run(x, k, v).o), q, dO, cpuData(g.dq));
        expectGradient((x) => cpuData(run(q, x, v).o), k, dO, cpuData(g.dk));
        expectGradient((x) => cpuData(run(q, k, x).o), v, dO, cpuData(g.dv));
      }),
      { numRuns: 15 },
    );
  });

  it('gives zero output, -Infinity lse and zero gradients on a fully masked row', async () => {
    const p: AttentionParams = { batch: 1, heads: 1, seqQ: 2, seqK: 2, headDim: 1, scale: 1 };
    const q = store('f64', [1, 2]);
    const k = store('f64', [3, 4]);
    const v = store('f64', [5, 6]);
    const mask = store('f32', [-Infinity, -Infinity, 0, -Infinity]);
    const { o, lse } = backend.attention(q, k, v, p, mask);
    expect(await values(o)).toEqual([0, 5]);
    expect(await values(lse)).toEqual([-Infinity, 6]);
    const g = backend.attentionBackward(q, k, v, o, lse, store('f64', [1, 1]), p, mask);
    expect(await values(g.dq)).toEqual([0, 0]);
    expect(await values(g.dv)).toEqual([1, 0]);
  });
});
