import { afterEach, describe, expect, it, vi } from 'vitest';
import { setBackend } from '../../../backends.js';
import { cpuSimdEnabled, setCpuSimd, simdSupported } from './features.js';

describe('the CPU SIMD switch', () => {
  afterEach(() => {
    setCpuSimd(null);
    vi.unstubAllEnvs();
  });

  it('is on by default where SIMD is supported, off with HRM_CPU_SIMD=0 or false', () => {
    vi.stubEnv('HRM_CPU_SIMD', '');
    expect(cpuSimdEnabled()).toBe(simdSupported());
    for (const off of ['0', 'false']) {
      vi.stubEnv('HRM_CPU_SIMD', off);
      expect(cpuSimdEnabled()).toBe(false);
    }
    vi.stubEnv('HRM_CPU_SIMD', '1');
    expect(cpuSimdEnabled()).toBe(simdSupported());
  });

  it('follows setCpuSimd and setBackend("cpu", { simd }) over the environment', async () => {
    vi.stubEnv('HRM_CPU_SIMD', '0');
    setCpuSimd(true);
    expect(cpuSimdEnabled()).toBe(simdSupported());
    await setBackend('cpu', { simd: false });
    expect(cpuSimdEnabled()).toBe(false);
    await setBackend('cpu');
    expect(cpuSimdEnabled()).toBe(false);
    await setBackend('cpu', { simd: true });
    expect(cpuSimdEnabled()).toBe(simdSupported());
    setCpuSimd(null);
    expect(cpuSimdEnabled()).toBe(false);
  });
});
