/** Front-end semantics: autodiff rules, memory scopes, creation, laws of broadcasting and reduction, optimisers. */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamATan2,
  AdamW,
  add,
  arange,
  argmax,
  backward,
  concat,
  exp,
  expand,
  full,
  matmul,
  max,
  mean,
  memory,
  mul,
  nn,
  noGrad,
  ones,
  rand,
  reshape,
  setBackend,
  SignSGD,
  sum,
  tensor,
  tidy,
  transpose,
  truncNormal,
  where,
  zeros,
  gt,
  Rng,
  slice,
  eq,
  all,
  sumToShape,
} from './index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const values = async (t: { data(): Promise<ArrayLike<number>> }) => Array.from(await t.data());

describe('autodiff', () => {
  it('a value used twice receives both contributions (micrograd semantics)', async () => {
    const x = tensor([3], { requiresGrad: true });
    const y = add(mul(x, x), x); // dy/dx = 2x + 1
    y.backward();
    expect(await values(x.grad!)).toEqual([7]);
  });

  it('gradients accumulate across backward calls until zeroed', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    sum(mul(x, 3)).backward();
    sum(mul(x, 3)).backward();
    expect(await values(x.grad!)).toEqual([6, 6]);
    const opt = new AdamW([x], { lr: 0.1 });
    opt.zeroGrad();
    expect(x.grad).toBeNull();
  });

  it('noGrad records nothing and detach cuts the graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    const z = mul(x, 2).detach();
    expect(z.requiresGrad).toBe(false);
    expect(() => sum(z).backward()).toThrow(/does not require gradients/);
  });

  it('frees the graph after backward', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = sum(mul(x, x));
    y.backward();
    expect(y.gradNode).toBeNull();
  });

  it('rejects a non-scalar root without a seed, and uses a given seed', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = mul(x, x);
    expect(() => y.backward()).toThrow(/explicit gradient/);
    backward(y, tensor([1, 10]));
    expect(await values(x.grad!)).toEqual([2, 40]);
  });

  it('reports use after dispose clearly', () => {
    const x = tensor([1]);
    x.dispose();
    expect(() => add(x, 1)).toThrow(/used after dispose/);
  });

  it('backward() on a loss returned from tidy() explains the tidy rule instead of leaving gradients null', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = tidy(() => sum(mul(exp(w), 3)));
    expect(() => loss.backward()).toThrow(/disposed before backward\(\) ran.*call backward\(\) inside the tidy\(\) scope/);
    expect(w.grad).toBeNull();
  });

  it('a second backward() through the same graph throws (gradients are never added twice)', async () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = sum(mul(w, w));
    loss.backward();
    expect(() => loss.backward()).toThrow(/already differentiated and freed/);
    expect(await values(w.grad!)).toEqual([2, 4]);
  });

  it('a new graph through a part that an earlier backward() freed throws', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const shared = exp(w);
    sum(shared).backward();
    expect(() => sum(mul(shared, 2)).backward()).toThrow(/earlier backward\(\) already differentiated and freed; run the forward pass again/);
  });
});

describe('memory', () => {
  it('tidy disposes intermediates and keeps the result and kept tensors', () => {
    const before = memory().tensors;
    let kept: ReturnType<typeof tensor> | undefined;
    const out = tidy(() => {
      const a = ones([4]);
      kept = mul(a, 3).keep();
      return add(a, 1);
    });
    expect(memory().tensors).toBe(before + 2);
    out.dispose();
    kept!.dispose();
    expect(memory().tensors).toBe(before);
    expect(memory().backendBytes).toBeGreaterThanOrEqual(0);
  });

  it('tidy disposes its tensors when fn throws', () => {
    const before = memory().tensors;
    expect(() =>
      tidy(() => {
        ones([3]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().tensors).toBe(before);
  });

  it('a training loop does not grow memory across iterations', () => {
    const rng = new Rng(3);
    const w = rand([8, 4], { rng, requiresGrad: true });
    const x = rand([16, 8], { rng });
    const target = rand([16, 4], { rng });
    const opt = new AdamATan2([w], { lr: 0.01 });
    const snapshots: number[][] = [];
    for (let i = 0; i < 6; i++) {
      tidy(() => {
        const loss = mean(mul(add(matmul(x, w), mul(target, -1)), add(matmul(x, w), mul(target, -1))));
        loss.backward();
        opt.step();
        opt.zeroGrad();
      });
      snapshots.push([memory().tensors, memory().bytes, memory().backendBytes]);
    }
    expect(snapshots.at(-1)).toEqual(snapshots[1]);
  });
});

describe('creation and readback', () => {
  it('builds tensors from nested arrays, typed arrays and shapes', async () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(await t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(await tensor(new Int32Array([1, 2]), { shape: [2, 1] }).toArray()).toEqual([[1], [2]]);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2, 2\]/);
    expect(await values(arange(2, 8, 2))).toEqual([2, 4, 6]);
    expect(await values(full([2], 7, { dtype: 'i32' }))).toEqual([7, 7]);
    expect(await zeros([0, 3]).toArray()).toEqual([]);
  });

  it('truncNormal realises the requested std within +-2 std', async () => {
    const t = Array.from(await truncNormal([20000], { std: 0.5, seed: 7 }).data());
    const m = t.reduce((s, v) => s + v, 0) / t.length;
    const sd = Math.sqrt(t.reduce((s, v) => s + (v - m) ** 2, 0) / t.length);
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
    expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(2 * 0.5 * 1.1368472 + 1e-6);
  });
});

describe('laws', () => {
  const small = fc.integer({ min: 1, max: 4 });

  it('broadcasting add equals add of the explicitly expanded operands', async () => {
    await fc.assert(
      fc.asyncProperty(small, small, small, fc.integer(), async (a, b, c, seed) => {
        const x = rand([a, 1, c], { seed });
        const y = rand([b, 1], { seed: seed + 1 });
        const direct = await values(add(x, y));
        const explicit = await values(add(expand(x, [a, b, c]), expand(y, [a, b, c])));
        expect(direct).toEqual(explicit);
      }),
      { numRuns: 20 },
    );
  });

  it('sum over all axes equals sums over each axis in turn; mean = sum / count', async () => {
    await fc.assert(
      fc.asyncProperty(small, small, small, fc.integer(), async (a, b, c, seed) => {
        const x = rand([a, b, c], { seed, dtype: 'f64' });
        const total = await sum(x).item();
        expect(await sum(sum(sum(x, 2), 1), 0).item()).toBeCloseTo(total, 10);
        expect(await mean(x).item()).toBeCloseTo(total / (a * b * c), 10);
        expect(await values(sum(x, [0, 2], true))).toEqual(await values(reshape(sum(x, [0, 2]), [1, b, 1])));
      }),
      { numRuns: 20 },
    );
  });

  it('sumToShape inverts broadcasting; (A B)^T = B^T A^T', async () => {
    await fc.assert(
      fc.asyncProperty(small, small, small, fc.integer(), async (a, b, c, seed) => {
        const g = rand([a, b, c], { seed, dtype: 'f64' });
        expect(await values(sumToShape(g, [b, 1]))).toEqual(await values(reshape(sum(g, [0, 2]), [b, 1])));
        expect(await values(sumToShape(g, [1, c]))).toEqual(await values(sum(g, [0, 1], false).reshape([1, c])));
        const A = rand([a, b], { seed, dtype: 'f64' });
        const B = rand([b, c], { seed: seed + 2, dtype: 'f64' });
        const lhs = await values(transpose(matmul(A, B)));
        const rhs = await values(matmul(transpose(B), transpose(A)));
        lhs.forEach((v, i) => expect(v).toBeCloseTo(rhs[i]!, 12));
      }),
      { numRuns: 20 },
    );
  });

  it('concat of slices restores the tensor; argmax finds the max', async () => {
    const x = rand([3, 7], { seed: 5 });
    expect(await values(concat([slice(x, 1, 0, 3), slice(x, 1, 3)], 1))).toEqual(await values(x));
    const idx = argmax(x, 1, true);
    const maxes = max(x, 1, true);
    expect(await all(eq(await gatherRows(x, idx), maxes)).item()).toBe(1);
  });

  it('where selects by a bool mask', async () => {
    const x = tensor([-1, 2, -3]);
    expect(await values(where(gt(x, 0), x, 0))).toEqual([0, 2, 0]);
  });
});

async function gatherRows(x: ReturnType<typeof tensor>, idx: ReturnType<typeof tensor>) {
  const data = await x.data();
  const ids = await idx.data();
  const cols = x.shape[1]!;
  return tensor(
    Array.from(ids, (j, i) => data[i * cols + j]!),
    { shape: [ids.length, 1] },
  );
}

describe('optimisers (hand-computed)', () => {
  it('AdamATan2: one step from zero moments', async () => {
    const p = tensor([1, -2], { requiresGrad: true, dtype: 'f64' });
    p.grad = tensor([0.5, -0.25], { dtype: 'f64' }).keep();
    const opt = new AdamATan2([p], { lr: 0.1, weightDecay: 0.5, betas: [0.9, 0.95] });
    opt.step();
    // decay: p * (1 - 0.05); m = 0.1 g; v = 0.05 g^2; step = lr / (1 - 0.9) = 1;
    // atan2(m, sqrt(v) / sqrt(1 - 0.95)) = atan2(0.1 g, |g|) = atan2(0.1 sign(g), 1).
    const expected = [1 * 0.95 - Math.atan2(0.1, 1), -2 * 0.95 - Math.atan2(-0.1, 1)];
    (await values(p)).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });

  it('AdamATan2 state round-trips through stateDict', async () => {
    const p = tensor([1, 2], { requiresGrad: true });
    p.grad = tensor([1, 1]).keep();
    const opt = new AdamATan2([p], { lr: 0.1 });
    opt.step();
    const q = tensor([1, 2], { requiresGrad: true });
    const opt2 = new AdamATan2([q], { lr: 0.1 });
    opt2.loadStateDict(opt.stateDict());
    expect(opt2.stepCount).toBe(1);
    expect(await values(opt2.stateDict().m[0]!)).toEqual(await values(opt.stateDict().m[0]!));
  });

  it('SignSGD sums duplicate ids and moves only touched rows', async () => {
    const table = tensor([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const opt = new SignSGD({ lr: 0.5, weightDecay: 0.2 });
    opt.stepRows(
      table,
      tensor(new Int32Array([2, 0, 2])),
      tensor([
        [1, -3],
        [-1, 0],
        [-2, 2],
      ]),
    );
    // row 2: summed grad [-1, -1] -> 3 * 0.9 + 0.5; row 0: grad [-1, 0] -> [0.9 + 0.5, 0.9]; row 1 untouched.
    const out = await values(table);
    [1.4, 0.9, 2, 2, 3.2, 3.2].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });
});

describe('nn functions (hand-computed)', () => {
  it('stablemax cross entropy matches the HRM formula', async () => {
    const logits = tensor([[1, -1, 0]], { dtype: 'f64' });
    const loss = await nn.stablemaxCrossEntropy(logits, tensor(new Int32Array([0]), { shape: [1] }), { reduction: 'sum' }).item();
    const s = [2, 0.5, 1];
    expect(loss).toBeCloseTo(-Math.log(2 / (s[0]! + s[1]! + s[2]!)), 12);
  });

  it('cross entropy ignores -100 labels in the mean', async () => {
    const logits = tensor([
      [0, 0],
      [5, 0],
    ]);
    const labels = tensor(new Int32Array([1, -100]), { shape: [2] });
    expect(await nn.crossEntropy(logits, labels).item()).toBeCloseTo(Math.log(2), 6);
  });

  it('rmsNorm has unit root-mean-square rows', async () => {
    const y = await nn
      .rmsNorm(
        tensor([
          [3, 4],
          [1, 1],
        ]),
        0,
      )
      .data();
    expect(y[0]! ** 2 + y[1]! ** 2).toBeCloseTo(2, 5);
  });
});

describe('profile', async () => {
  const { webgpuForTests } = await import('./testing/backends.js');
  const { profile } = await import('./index.js');
  const { useBackend, cpuBackend } = await import('./runtime.js');
  const gpu = await webgpuForTests();

  it.skipIf(!gpu)('reports dispatches and GPU time per kernel on WebGPU', async () => {
    useBackend(gpu!);
    try {
      const report = await profile(async () => {
        const x = rand([64, 64], { seed: 1 });
        await matmul(x, x).data();
      });
      expect(Object.keys(report.kernels).length).toBeGreaterThan(0);
      expect(Object.values(report.kernels).every((k) => k.dispatches > 0 && k.ms >= 0)).toBe(true);
    } finally {
      useBackend(cpuBackend());
    }
  });

  it('reports calls, time and bytes per kernel on the CPU, and the autodiff walk', async () => {
    const report = await profile(() =>
      tidy(() => {
        const w = rand([8, 4], { seed: 1, requiresGrad: true });
        const loss = sum(matmul(rand([3, 8], { seed: 2 }), w).exp());
        loss.backward();
        w.grad!.dispose();
        return 7;
      }),
    );
    expect(report.result).toBe(7);
    expect(report.backend).toBe('cpu');
    expect(report.timing).toBe('cpu-clock');
    expect(report.kernels.matmul!.dispatches).toBe(2); // forward, and dW in backward
    expect(report.kernels['unary.exp']!.dispatches).toBe(1);
    expect(report.kernels['reduce.sum']!.dispatches).toBe(1);
    expect(Object.values(report.kernels).every((k) => k.ms >= 0)).toBe(true);
    expect(report.bytesAllocated).toBeGreaterThanOrEqual((8 * 4 + 3 * 8 + 3 * 4) * 4);
    expect(report.autodiff.calls).toBe(1);
    expect(report.autodiff.kernelMs).toBeGreaterThan(0);
    expect(report.autodiff.kernelMs).toBeLessThanOrEqual(report.autodiff.ms);
    expect(report.totalMs).toBeGreaterThanOrEqual(report.autodiff.ms);
  });

  it('times with the clock it is given', async () => {
    let ticks = 0;
    const report = await profile(() => tidy(() => sum(matmul(rand([4, 4], { seed: 1 }), rand([4, 4], { seed: 2 })))).dispose(), { clock: () => ticks++ });
    expect(report.kernels.matmul).toEqual({ dispatches: 1, ms: 1 }); // one tick between its start and end
    expect(report.totalMs).toBe(ticks - 1);
  });

  it('leaves the CPU backend untouched outside profile(), also when fn throws', async () => {
    const backend = cpuBackend();
    const matmulBefore = backend.matmul;
    await expect(
      profile(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await profile(() => 1);
    expect(backend.matmul).toBe(matmulBefore);
  });

  it('refuses to nest', async () => {
    await expect(profile(() => profile(() => 1))).rejects.toThrow(/cannot nest/);
  });
});
