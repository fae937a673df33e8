import { describe, expect, it, vi } from 'vitest';
import { nodeGpu } from './dawn-node.js';
import { BindGroupCache } from './bind-groups.js';
import { requestWebGpuDevice } from './device.js';
import { MAX_DISPATCHES_PER_BATCH, WebGpuEngine, asGpuStorage } from './engine.js';
import { defineKernel } from './kernel-spec.js';
import { fill } from './kernels/elementwise.js';
import { testBackend } from './test-utils.js';

const gpu = await testBackend();

// Writes only the even elements of its output: the odd ones keep whatever the buffer held.
const evenOnly = defineKernel({
  name: 'even_only',
  body: `@compute @workgroup_size(WORKGROUP_SIZE_X) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < p.n && g.x % 2u == 0u) { out[g.x] = \${T}(1); }
}`,
  inputs: {},
  outputs: { out: '${T}' },
  uniforms: { n: 'u32' },
  workgroupSize: () => [64],
  variants: { f32: { T: 'f32' } },
});

const broken = defineKernel({
  name: 'broken_kernel',
  body: 'this is not wgsl',
  inputs: {},
  outputs: { out: 'f32' },
  uniforms: {},
  workgroupSize: () => [1],
  variants: {},
});

describe.skipIf(!gpu)('webgpu engine', () => {
  const b = gpu!;
  const engine = gpu?.engine!; // the describe body runs even when skipped

  it('poisons fresh buffers so unwritten outputs show up (NaN, 0x7fffffff, non-0/1 bools)', async () => {
    for (const [dtype, T] of [
      ['f32', 'f32'],
      ['i32', 'i32'],
      ['bool', 'u32'],
    ] as const) {
      const out = engine.createStorage(dtype, 10);
      engine.dispatch(evenOnly, { suffix: `_${dtype}`, defines: { T }, workgroups: [1], inputs: {}, outputs: { out }, uniforms: { n: 10 } });
      if (dtype === 'bool') {
        await expect(engine.read(out)).rejects.toThrow(/unwritten/);
      } else {
        const values = Array.from(await engine.read(out));
        expect(values[0]).toBe(1);
        expect(values[1]).toEqual(dtype === 'f32' ? Number.NaN : 0x7fffffff);
      }
      engine.release(out);
    }
  });

  it('reuses a released buffer only after the submit that used it has completed', async () => {
    await engine.sync();
    const first = b.fill('f32', 1000, 1);
    const buffer = asGpuStorage(first).buffer;
    b.free(first); // its fill is still in the open batch
    const meanwhile = engine.createStorage('f32', 1000);
    expect(meanwhile.buffer).not.toBe(buffer);
    await engine.sync();
    const later = engine.createStorage('f32', 1000);
    expect(later.buffer).toBe(buffer);
    engine.release(meanwhile);
    engine.release(later);
  });

  it('counters return to baseline and the pool stops growing over repeated steps (no leaks)', async () => {
    await engine.sync();
    const baseline = engine.memory();
    const step = async () => {
      const x = b.fill('f32', 3000, 2);
      const y = b.unary('exp', x);
      const z = b.binary('mul', x, [3, 1000], y, [3, 1000], [3, 1000]);
      const s = b.reduce('sum', z, 3, 1000, 1);
      await b.read(s);
      for (const t of [x, y, z, s]) b.free(t);
    };
    await step();
    await engine.sync();
    const afterFirst = engine.memory();
    for (let i = 0; i < 5; i++) await step();
    await engine.sync();
    const afterMany = engine.memory();
    expect(afterMany.bytesInUse).toBe(baseline.bytesInUse);
    expect(afterMany.liveBuffers).toBe(baseline.liveBuffers);
    expect(afterMany.bytesAllocated).toBe(afterFirst.bytesAllocated);
    expect(b.bytesAllocated()).toBe(baseline.bytesInUse);
  });

  it('reuses bind groups: a repeated step creates none once the pool is warm', async () => {
    const x = b.fill('f32', 256, 1);
    const step = async () => {
      let acc = b.unary('neg', x);
      for (let i = 0; i < 20; i++) {
        const next = b.binary('add', acc, [16, 16], x, [16, 16], [16, 16]);
        b.free(acc);
        acc = next;
      }
      await b.read(acc);
      b.free(acc);
    };
    for (let i = 0; i < 3; i++) await step();
    await engine.sync();
    const created = vi.spyOn(engine.device, 'createBindGroup');
    try {
      await step();
      expect(created).not.toHaveBeenCalled();
      const fresh = b.fill('f32', 12345, 1); // a new size class: new buffers, new bind group
      expect(created).toHaveBeenCalled();
      b.free(fresh);
    } finally {
      created.mockRestore();
      b.free(x);
    }
  });

  it('bind group cache keeps serving after it fills up and starts over', () => {
    const device = engine.device;
    const layout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: 0x4 /* COMPUTE */, buffer: { type: 'storage' } }] });
    const buffers = [0, 1, 2].map(() => device.createBuffer({ size: 256, usage: 0x80 /* STORAGE */ }));
    const cache = new BindGroupCache(device, 2);
    const groups = buffers.map((buffer) => cache.get(layout, [buffer]));
    expect(new Set(groups).size).toBe(3);
    expect(cache.get(layout, [buffers[2]!])).toBe(groups[2]); // the third was cached after the reset
    buffers.forEach((buffer) => buffer.destroy());
  });

  it('reuses readback staging buffers, also with reads in flight together', async () => {
    const x = b.fill('f32', 1000, 1);
    const y = b.fill('f32', 1000, 2);
    await Promise.all([b.read(x), b.read(y)]); // two reads in flight need two staging buffers
    const created = vi.spyOn(engine.device, 'createBuffer');
    try {
      const [xs, ys] = await Promise.all([b.read(x), b.read(y)]);
      expect(created).not.toHaveBeenCalled();
      expect([xs[999], ys[999]]).toEqual([1, 2]);
    } finally {
      created.mockRestore();
      b.free(x);
      b.free(y);
    }
  });

  it('handles zero-size storages without zero-sized bindings', async () => {
    const empty = b.alloc('f32', 0);
    b.write(empty, new Float32Array(0));
    expect(await b.read(empty)).toEqual(new Float32Array(0));
    const sum = b.binary('add', empty, [0, 3], empty, [0, 3], [0, 3]);
    expect(sum.size).toBe(0);
    expect(await b.read(sum)).toEqual(new Float32Array(0));
    b.free(empty);
    b.free(sum);
  });

  it('folds more than 65535 workgroups into a 2D grid', async () => {
    expect(engine.grid(65535 * 256, 256)).toEqual([65535, 1, 1]);
    const [x, y] = engine.grid(65536 * 256 + 1, 256);
    expect(y).toBe(2);
    expect(x * y).toBeGreaterThanOrEqual(65537);
    const n = 65536 * 256 + 300;
    const big = b.fill('i32', n, 7);
    const values = (await b.read(big)) as Int32Array;
    expect(values.every((v) => v === 7)).toBe(true);
    b.free(big);
  });

  it('submits in batches and keeps order between dispatches, host writes and reads', async () => {
    const x = b.fill('f32', 5, 1); // pending in the open batch
    b.write(x, new Float32Array([5, 6, 7, 8, 9])); // must land after the fill
    let acc = x;
    for (let i = 0; i < MAX_DISPATCHES_PER_BATCH + 10; i++) {
      const next = b.binary('add', acc, [5], x, [5], [5]);
      if (acc !== x) b.free(acc);
      acc = next;
    }
    const steps = MAX_DISPATCHES_PER_BATCH + 11;
    expect(Array.from(await b.read(acc))).toEqual([5, 6, 7, 8, 9].map((v) => v * steps));
    b.free(acc);
    b.free(x);
  });

  it('turns WGSL errors into errors naming the kernel, then carries on', async () => {
    const out = engine.createStorage('f32', 4);
    engine.dispatch(broken, { workgroups: [1], inputs: {}, outputs: { out }, uniforms: {} });
    await expect(engine.sync()).rejects.toThrow(/broken_kernel/);
    const ok = b.fill('f32', 4, 3);
    expect(Array.from(await b.read(ok))).toEqual([3, 3, 3, 3]);
    engine.release(out);
    b.free(ok);
  });

  it('rejects f64, freed storages and storages of another backend with clear messages', () => {
    expect(() => b.fill('f64', 3, 1)).toThrow(/f64.*CPU backend/);
    const x = b.fill('f32', 3, 1);
    b.free(x);
    expect(() => b.unary('neg', x)).toThrow(/freed/);
    expect(() => b.free(x)).toThrow(/freed/);
    expect(() => b.unary('neg', { backend: 'cpu', dtype: 'f32', size: 3 })).toThrow(/cpu storage/);
  });

  it('profile counts dispatches per kernel, GPU time and bytes allocated', async () => {
    const report = await engine.profile(async () => {
      const x = b.fill('f32', 100_000, 1);
      const y = b.unary('exp', x);
      const z = b.unary('exp', y);
      await b.read(z);
      for (const t of [x, y, z]) b.free(t);
      return 'done';
    });
    expect(report.result).toBe('done');
    expect(report.kernels.fill_f32?.dispatches).toBe(1);
    expect(report.kernels.unary_exp_f32?.dispatches).toBe(2);
    for (const k of Object.values(report.kernels)) expect(k.gpuMs).toBeGreaterThanOrEqual(0);
    expect(report.timing).toBe(engine.hasTimestamps ? 'timestamp-query' : 'submit-to-completion');
    expect(report.bytesAllocated).toBeGreaterThanOrEqual(0);
  });

  it('profile falls back to submit-to-completion timing without timestamp queries', async () => {
    const untimed = new WebGpuEngine(engine.device, { timestamps: false });
    const report = await untimed.profile(() => {
      for (let i = 0; i < 3; i++) untimed.release(fill(untimed, 'f32', 1000, i));
    });
    expect(report.timing).toBe('submit-to-completion');
    expect(report.kernels.fill_f32?.dispatches).toBe(3);
    expect(report.kernels.fill_f32?.gpuMs).toBeGreaterThan(0);
  });

  it('HRM_DEBUG_SHADERS=1 prints each compiled kernel once with its parameters', async () => {
    vi.stubEnv('HRM_DEBUG_SHADERS', '1');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const debugEngine = new WebGpuEngine(engine.device);
      for (let i = 0; i < 3; i++) debugEngine.release(fill(debugEngine, 'i32', 10, i));
      await debugEngine.sync();
      const printed = log.mock.calls.filter(([line]) => String(line).includes("WGSL kernel 'fill_i32'"));
      expect(printed).toHaveLength(1);
      expect(String(printed[0]![0])).toContain('@compute');
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });

  it('explains why no device is available', async () => {
    const none = await requestWebGpuDevice(undefined);
    expect(none).toEqual({ ok: false, reason: expect.stringMatching(/not available/) });
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const refused = await requestWebGpuDevice(noAdapter);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/core: no adapter; compatibility: no adapter/);
  });

  it('reports device loss and refuses further work', async () => {
    const request = await requestWebGpuDevice(nodeGpu());
    if (!request.ok) throw new Error(request.reason);
    const lost = new WebGpuEngine(request.device);
    request.device.destroy();
    await request.device.lost;
    expect(() => lost.createStorage('f32', 4)).toThrow(/device lost/);
  });
});
