/**
 * Bind groups reused across dispatches. Creating one costs far more than encoding a dispatch in
 * Dawn's Node bindings (about 100 µs against under 1 µs, measured on lavapipe), and with pooled
 * buffers a training step binds the same buffers to the same kernels every time. The uniform
 * binding takes a dynamic offset, so one bind group serves every slot of a uniform buffer.
 */
const DEFAULT_MAX_CACHED = 8192;

export interface UniformBinding {
  buffer: GPUBuffer;
  /** Bytes bound; the slot is chosen per dispatch by the dynamic offset. */
  size: number;
}

export class BindGroupCache {
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  private readonly groups = new Map<GPUBindGroupLayout, Map<string, GPUBindGroup>>();
  private count = 0;
  /** Bind groups created so far (cache misses). */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Bind groups held before the cache starts over. */
    private readonly maxCached = DEFAULT_MAX_CACHED,
  ) {}

  get(layout: GPUBindGroupLayout, storage: readonly GPUBuffer[], uniform?: UniformBinding): GPUBindGroup {
    const key = storage.map((b) => this.id(b)).join(',') + (uniform ? `|${this.id(uniform.buffer)}:${uniform.size}` : '');
    const cached = this.groups.get(layout)?.get(key);
    if (cached) return cached;
    // Evict before looking up this layout's map: clearing drops it.
    if (this.count >= this.maxCached) this.clear();
    let perLayout = this.groups.get(layout);
    if (!perLayout) this.groups.set(layout, (perLayout = new Map()));
    const entries: GPUBindGroupEntry[] = storage.map((buffer, i) => ({ binding: i, resource: { buffer } }));
    if (uniform) entries.push({ binding: storage.length, resource: { buffer: uniform.buffer, offset: 0, size: uniform.size } });
    const group = this.device.createBindGroup({ layout, entries });
    perLayout.set(key, group);
    this.count++;
    this.created++;
    return group;
  }

  /** Forgets every bind group (call before destroying buffers they reference). */
  clear(): void {
    this.groups.clear();
    this.count = 0;
  }

  private id(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.nextId++));
    return id;
  }
}
