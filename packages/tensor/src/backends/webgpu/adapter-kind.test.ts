import { describe, expect, it } from 'vitest';
import { describeAdapterInfo, isCpuEmulatedAdapter } from './adapter-kind.js';

describe('isCpuEmulatedAdapter', () => {
  it('knows the software adapters by their info', () => {
    // Dawn on Mesa's lavapipe, as this machine reports it.
    const lavapipe = { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)' };
    expect(isCpuEmulatedAdapter(lavapipe)).toBe(true);
    expect(
      isCpuEmulatedAdapter({ vendor: 'google', architecture: '', device: 'swiftshader-device-subzero', description: 'SwiftShader Device (Subzero)' }),
    ).toBe(true);
    expect(isCpuEmulatedAdapter({ vendor: 'microsoft', device: '', description: 'Microsoft Basic Render Driver (WARP)' })).toBe(true);
    expect(isCpuEmulatedAdapter({ vendor: 'x', isFallbackAdapter: true } as Partial<GPUAdapterInfo>)).toBe(true);
    expect(describeAdapterInfo(lavapipe)).toBe('mesa software llvmpipe-llvm-15-0-6-256-bits- llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)');
  });

  it('does not take hardware adapters for emulations', () => {
    expect(isCpuEmulatedAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' })).toBe(false);
    expect(isCpuEmulatedAdapter({ vendor: 'apple', architecture: 'metal-3', device: '', description: 'Apple M2' })).toBe(false);
    expect(isCpuEmulatedAdapter({ vendor: 'intel', architecture: 'gen-12lp', device: '', description: 'Intel(R) UHD Graphics 770 (softwarefree)' })).toBe(
      false,
    );
    expect(isCpuEmulatedAdapter(undefined)).toBe(false);
  });
});
