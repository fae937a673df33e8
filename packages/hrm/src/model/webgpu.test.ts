import { Rng, setBackend } from '@hrm-webgpu/tensor';
import { initBackend } from '@hrm-webgpu/tensor/node';
import { relativeError, startWebGpuForTests } from '@hrm-webgpu/tensor/testing';
import { describe, expect, it } from 'vitest';
import type { HRMConfig } from '../config.js';
import { traceSegments, traceTrainGradients } from '../trace.js';
import { randomBatch, randomizeZeroInits, tinyConfig } from './fixtures.testing.js';
import { HRM } from './hrm.js';

// Without an adapter: skipped with a notice, or a failure under HRM_REQUIRE_WEBGPU=1.
const gpu =
  (await startWebGpuForTests(async () => {
    await initBackend('webgpu');
    return true;
  })) === true;

/** The WebGPU values within 1e-4 of the CPU's, relative to the largest |CPU value|, which must be finite and not 0. */
function expectMatchesCpu(gpuValues: ArrayLike<number>, cpuValues: ArrayLike<number>, what: string): void {
  const scale = Array.from(cpuValues).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(Number.isFinite(scale) && scale > 0, `${what}: CPU values finite, not all 0 (largest |value| ${scale})`).toBe(true);
  expect(relativeError(gpuValues, cpuValues), what).toBeLessThan(1e-4);
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
      expectMatchesCpu(gpuRun.segments[i]!.logits.data, s.logits.data, `segment ${i} logits`);
      expectMatchesCpu(gpuRun.segments[i]!.qHaltLogits.data, s.qHaltLogits.data, `segment ${i} q_halt`);
      expectMatchesCpu(gpuRun.segments[i]!.qContinueLogits.data, s.qContinueLogits.data, `segment ${i} q_continue`);
    });
    expect(Math.abs(cpu.gradients.loss - gpuRun.gradients.loss) / cpu.gradients.loss).toBeLessThan(1e-5);
    for (const [key, g] of cpu.gradients.gradients) {
      expectMatchesCpu(gpuRun.gradients.gradients.get(key)!.data, g.data, key);
    }
  });
});
