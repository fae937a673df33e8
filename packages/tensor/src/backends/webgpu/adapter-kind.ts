/**
 * Whether a WebGPU adapter is a real GPU or a CPU emulating one (Mesa's lavapipe/llvmpipe,
 * SwiftShader, WARP): on those the CPU backend is faster for this engine's work (70x on the HRM
 * training step here), so `auto` prefers it. Browser-safe; reads only the adapter's info.
 */

export interface AdapterProbe {
  /** Vendor, architecture, device and description, as the adapter reports them. */
  description: string;
  /** True for a CPU-emulated adapter. */
  emulated: boolean;
}

const SOFTWARE_NAMES = /\b(software|llvmpipe|lavapipe|swiftshader|softpipe|warp)\b/i;

export function describeAdapterInfo(info: Partial<GPUAdapterInfo> | undefined): string {
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s): s is string => Boolean(s));
  return parts.join(' ') || 'unknown adapter';
}

/** The spec's isFallbackAdapter where the implementation sets it, else the names software adapters use. */
export function isCpuEmulatedAdapter(info: (Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }) | undefined): boolean {
  if (info?.isFallbackAdapter === true) return true;
  return SOFTWARE_NAMES.test(describeAdapterInfo(info).replace(/[-_]/g, ' '));
}

/**
 * Asks `gpu` for an adapter (core feature level, then compatibility, as the backend does; no
 * device) and says what it is; undefined when there is none.
 */
export async function probeAdapter(gpu: GPU | undefined): Promise<AdapterProbe | undefined> {
  if (!gpu) return undefined;
  for (const featureLevel of ['core', 'compatibility']) {
    const adapter = await gpu.requestAdapter({ featureLevel } as GPURequestAdapterOptions).catch(() => null);
    if (adapter) return { description: describeAdapterInfo(adapter.info), emulated: isCpuEmulatedAdapter(adapter.info) };
  }
  return undefined;
}
