/**
 * Adapter and device selection: core feature level first, then compatibility mode, else a reason
 * the caller can print before falling back to the CPU backend. Browser-safe: takes any `GPU`
 * (navigator.gpu, or Dawn's from dawn-node.ts).
 */

export interface DeviceRequestOptions {
  powerPreference?: GPUPowerPreference;
  /** Skip the core feature level and ask for compatibility mode directly. */
  compatibilityOnly?: boolean;
}

export type DeviceRequest =
  | { ok: true; device: GPUDevice; adapter: GPUAdapter; featureLevel: 'core' | 'compatibility'; description: string }
  | { ok: false; reason: string };

/** Limits raised to what the adapter offers, each with the reason we need more than the default. */
const WANTED_LIMITS: Record<string, string> = {
  maxStorageBufferBindingSize: 'activations and embedding tables bound whole (default is 128 MiB)',
  maxBufferSize: 'large tensors live in one buffer (default is 256 MiB)',
  maxComputeWorkgroupStorageSize: 'attention and matmul tiles in workgroup memory (default is 16 KiB)',
  maxStorageBuffersPerShaderStage: 'fused kernels bind many tensors, e.g. attention backward and Adam (default is 8; 4 in compatibility)',
  maxComputeInvocationsPerWorkgroup: 'row-per-workgroup reductions with 256+ threads',
  maxComputeWorkgroupSizeX: 'row-per-workgroup reductions with 256+ threads',
};

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups' as GPUFeatureName];

export async function requestWebGpuDevice(gpu: GPU | undefined, options: DeviceRequestOptions = {}): Promise<DeviceRequest> {
  if (!gpu) return { ok: false, reason: 'WebGPU is not available in this runtime (no navigator.gpu)' };
  const levels: ('core' | 'compatibility')[] = options.compatibilityOnly ? ['compatibility'] : ['core', 'compatibility'];
  const failures: string[] = [];
  for (const featureLevel of levels) {
    let adapter: GPUAdapter | null;
    try {
      adapter = await gpu.requestAdapter({ featureLevel, powerPreference: options.powerPreference } as GPURequestAdapterOptions);
    } catch (e) {
      failures.push(`${featureLevel}: ${(e as Error).message}`);
      continue;
    }
    if (!adapter) {
      failures.push(`${featureLevel}: no adapter`);
      continue;
    }
    try {
      const device = await adapter.requestDevice({
        label: 'hrm-webgpu',
        requiredLimits: wantedLimits(adapter),
        requiredFeatures: OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)),
      });
      return { ok: true, device, adapter, featureLevel, description: describe(adapter, featureLevel) };
    } catch (e) {
      failures.push(`${featureLevel}: requestDevice failed: ${(e as Error).message}`);
    }
  }
  // One line: Dawn's messages span several.
  const reason = `no usable WebGPU adapter (${failures.join('; ')})`.replace(/\s*\n\s*/g, ' ');
  return { ok: false, reason };
}

function wantedLimits(adapter: GPUAdapter): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const name of Object.keys(WANTED_LIMITS)) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (value !== undefined) limits[name] = value;
  }
  return limits;
}

function describe(adapter: GPUAdapter, featureLevel: string): string {
  const info = adapter.info;
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ');
  return `${name || 'unknown adapter'} (${featureLevel})`;
}
