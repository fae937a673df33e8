import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';
import { expectClose, hostIO } from '../../testing/compare.js';

const backend = createCpuBackend();
const { store, values } = hostIO(backend);

describe('cpu optimiser updates', () => {
  it('AdamATan2 takes one step by hand (decay first, atan2, no epsilon)', async () => {
    const h = { lr: 0.1, weightDecay: 0.5, beta1: 0.9, beta2: 0.95, step: 1 };
    const p = store('f64', [1, -2]);
    const m = store('f64', [0, 0]);
    const v = store('f64', [0, 0]);
    backend.adamATan2Update(p, store('f64', [0.5, -4]), m, v, h);
    // m = 0.1 g, v = 0.05 g^2; sqrt(v)/sqrt(1 - 0.95) = |g|; atan2(0.1 g, |g|) = sign(g) atan(0.1).
    // p = p * (1 - 0.05) - (0.1 / 0.1) * sign(g) * atan(0.1)
    expectClose(await values(m), [0.05, -0.4], { rtol: 1e-15, atol: 0 });
    expectClose(await values(v), [0.0125, 0.8], { rtol: 1e-14, atol: 0 });
    expectClose(await values(p), [0.95 - Math.atan(0.1), -1.9 + Math.atan(0.1)], { rtol: 1e-14, atol: 0 });
  });

  it('AdamATan2 second step uses bias corrections of step 2', async () => {
    const h = { lr: 0.01, weightDecay: 0, beta1: 0.9, beta2: 0.95 };
    const p = store('f64', [0]);
    const m = store('f64', [0]);
    const v = store('f64', [0]);
    backend.adamATan2Update(p, store('f64', [1]), m, v, { ...h, step: 1 });
    backend.adamATan2Update(p, store('f64', [2]), m, v, { ...h, step: 2 });
    const m2 = 0.9 * 0.1 + 0.1 * 2;
    const v2 = 0.95 * 0.05 + 0.05 * 4;
    const step2 = (0.01 / (1 - 0.81)) * Math.atan2(m2, Math.sqrt(v2) / Math.sqrt(1 - 0.95 ** 2));
    // Step 1: lr / (1 - b1) = 0.1, atan2(0.1, sqrt(0.05) / sqrt(0.05)) = atan(0.1).
    expectClose(await values(p), [-0.1 * Math.atan(0.1) - step2], { rtol: 1e-14, atol: 0 });
  });

  it('AdamW takes one step by hand (eps outside sqrt(v_hat))', async () => {
    const p = store('f32', [1]);
    const m = store('f32', [0]);
    const v = store('f32', [0]);
    backend.adamWUpdate(p, store('f32', [2]), m, v, { lr: 0.1, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, step: 1, eps: 1e-8 });
    // m_hat = 2, v_hat = 4: p = 1 * (1 - 0.001) - 0.1 * 2 / (2 + 1e-8)
    expectClose(await values(p), [0.999 - 0.2 / (2 + 1e-8)], { rtol: 1e-7, atol: 0 });
  });

  it('signSgdRows sums duplicate ids and updates only the touched rows', async () => {
    const table = store('f64', [1, 1, 2, 2, 3, 3]);
    // Row 2 appears twice: grads (1, -1) + (-3, -1) = (-2, -2); row 0 has grad (0, 5).
    backend.signSgdRows(table, store('i32', [2, 0, 2]), store('f64', [1, -1, 0, 5, -3, -1]), 3, 2, { lr: 0.1, weightDecay: 1 });
    expectClose(await values(table), [0.9, 0.9 - 0.1, 2, 2, 3 * 0.9 + 0.1, 3 * 0.9 + 0.1], { rtol: 1e-15, atol: 1e-15 });
  });

  it('rejects mismatched dtypes and step 0', () => {
    const f = () => store('f32', [0]);
    expect(() => backend.adamATan2Update(f(), store('f64', [0]), f(), f(), { lr: 1, weightDecay: 0, beta1: 0.9, beta2: 0.95, step: 1 })).toThrow(
      /cpu\.adamATan2Update: expected grad to have the dtype of param \(f32\), found f64/,
    );
    expect(() => backend.adamATan2Update(f(), f(), f(), f(), { lr: 1, weightDecay: 0, beta1: 0.9, beta2: 0.95, step: 0 })).toThrow(/1-based integer step/);
  });
});
