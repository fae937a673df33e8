import { Rng, setBackend } from '@hrm-webgpu/tensor';
import { initBackend } from '@hrm-webgpu/tensor/node';
import { describe, expect, it } from 'vitest';
import type { HRMConfig } from '../config.js';
import { traceSegments, traceTrainGradients } from '../trace.js';
import { randomBatch, randomizeZeroInits, tinyConfig } from './fixtures.testing.js';
import { HRM } from './hrm.js';

const gpu = await initBackend('webgpu').then(
  () => true,
  () => false,
);

/** Largest |a - b| relative to the largest |a|. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / scale;
}

async function traces(config: HRMConfig) {
  const model = new HRM(config, { seed: 3 });
  randomizeZeroInits(model, 5);
  const batch = randomBatch(config, 3, 7);
  const segments = await traceSegments(model, batch, 2);
  const gradients = await traceTrainGradients(model, batch, { rng: new Rng(1) });
  model.dispose();
  return { segments, gradients };
}

describe.skipIf(!gpu)('HRM on WebGPU', () => {
  it('gives the CPU backend’s logits, Q values and 1-step gradients (relative error below 1e-4)', async () => {
    const config = tinyConfig({ hidden_size: 32, num_heads: 2, seq_len: 16, vocab_size: 6, halt_max_steps: 2 });
    await setBackend('cpu');
    const cpu = await traces(config);
    await initBackend('webgpu');
    const gpuRun = await traces(config);
    cpu.segments.forEach((s, i) => {
      expect(relativeError(s.logits.data, gpuRun.segments[i]!.logits.data), `segment ${i} logits`).toBeLessThan(1e-4);
      expect(relativeError(s.qHaltLogits.data, gpuRun.segments[i]!.qHaltLogits.data), `segment ${i} q_halt`).toBeLessThan(1e-4);
      expect(relativeError(s.qContinueLogits.data, gpuRun.segments[i]!.qContinueLogits.data), `segment ${i} q_continue`).toBeLessThan(1e-4);
    });
    expect(Math.abs(cpu.gradients.loss - gpuRun.gradients.loss) / cpu.gradients.loss).toBeLessThan(1e-5);
    for (const [key, g] of cpu.gradients.gradients) {
      expect(relativeError(g.data, gpuRun.gradients.gradients.get(key)!.data), key).toBeLessThan(1e-4);
    }
  });
});
