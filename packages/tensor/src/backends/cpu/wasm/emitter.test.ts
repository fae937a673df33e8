import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModuleBuilder, sleb, uleb } from './emitter.js';
import { relaxedSimdSupported, simdSupported } from './features.js';

/** Instantiates a module on a fresh memory of `pages` pages and returns its exports and the memory. */
function instantiate(module: ModuleBuilder, pages = 1): { exports: Record<string, CallableFunction>; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(module.build()), { env: { memory } });
  return { exports: instance.exports as Record<string, CallableFunction>, memory };
}

/** The value LEB128 bytes decode to (unsigned, or signed 32-bit). */
function decode(bytes: number[], signed: boolean): number {
  let value = 0;
  let shift = 0;
  for (const b of bytes) {
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (signed && bytes[bytes.length - 1]! & 0x40) value -= 2 ** shift;
  return value;
}

describe('LEB128', () => {
  it('round-trips unsigned and signed 32-bit integers with the shortest encoding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const bytes = uleb(v);
        expect(decode(bytes, false)).toBe(v);
        expect(bytes.length).toBe(Math.max(1, Math.ceil(Math.log2(v + 1) / 7)));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
        expect(decode(sleb(v), true)).toBe(v);
      }),
    );
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow('not an unsigned 32-bit integer');
  });
});

describe('wasm emitter', () => {
  it('builds a module with scalar arithmetic, loops and branches that computes known values', () => {
    const module = new ModuleBuilder();
    module.importMemory('env', 'memory', { initial: 1 });
    // sum of i*i for i in [0, n), in f64
    module.addFunction(
      { params: ['i32'], results: ['f64'] },
      (f) => {
        const [n] = f.params;
        const i = f.local('i32');
        const sum = f.local('f64');
        f.forRange(
          i,
          () => f.i32.const(0),
          () => f.get(n),
          1,
          () => {
            f.get(sum).get(i).get(i).i32.mul().f64.convert_i32_s().f64.add().set(sum);
          },
        );
        f.get(sum);
      },
      'squares',
    );
    // writes x / 2 to memory[at] as f32 unless x is negative
    module.addFunction(
      { params: ['i32', 'f32'] },
      (f) => {
        const [at, x] = f.params;
        f.block((done) => {
          f.get(x).f32.const(0).f32.lt().brIf(done);
          f.get(at).get(x).f32.const(2).f32.div().f32.store();
        });
      },
      'half',
    );
    expect(WebAssembly.validate(module.build())).toBe(true);
    const { exports, memory } = instantiate(module);
    expect(exports.squares!(10)).toBe(285);
    expect(exports.squares!(0)).toBe(0);
    exports.half!(8, 5);
    exports.half!(12, -5);
    expect(Array.from(new Float32Array(memory.buffer, 8, 2))).toEqual([2.5, 0]);
  });

  it('computes f32x4 SIMD products and splats over memory (when SIMD is available)', () => {
    if (!simdSupported()) return;
    const module = new ModuleBuilder();
    module.importMemory('env', 'memory', { initial: 1 });
    // out[0..4) = x[0..4) * s + y[0..4), and the lanes' sum returned
    module.addFunction(
      { params: ['i32', 'i32', 'i32', 'i32'], results: ['f32'] },
      (f) => {
        const [x, s, y, out] = f.params;
        const v = f.local('v128');
        f.get(x).v128.load().get(s).v128.load32_splat().f32x4.mul().get(y).v128.load().f32x4.add().set(v);
        f.get(out).get(v).v128.store();
        f.get(v).f32x4.extract_lane(0);
        for (const lane of [1, 2, 3]) f.get(v).f32x4.extract_lane(lane).f32.add();
      },
      'axpy',
    );
    const { exports, memory } = instantiate(module);
    const f32 = new Float32Array(memory.buffer);
    f32.set([1, 2, 3, 4], 0);
    f32[4] = 10;
    f32.set([0.5, 0.25, -1, 0], 8);
    expect(exports.axpy!(0, 16, 32, 64)).toBe(10.5 + 20.25 + 29 + 40);
    expect(Array.from(f32.subarray(16, 20))).toEqual([10.5, 20.25, 29, 40]);
  });

  it('runs on a shared memory', () => {
    if (!simdSupported() || typeof SharedArrayBuffer === 'undefined') return;
    const module = new ModuleBuilder();
    module.importMemory('env', 'memory', { initial: 1, maximum: 4, shared: true });
    module.addFunction({ params: ['i32'], results: ['i32'] }, (f) => f.get(f.params[0]).i32.load(4), 'peek');
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(module.build()), { env: { memory } });
    new Int32Array(memory.buffer)[3] = 42;
    expect((instance.exports.peek as (at: number) => number)(8)).toBe(42);
    expect(() => new ModuleBuilder().importMemory('env', 'memory', { initial: 1, shared: true })).toThrow('needs a maximum');
  });

  it('refuses a branch to a label that is not open', () => {
    const module = new ModuleBuilder();
    expect(() =>
      module.addFunction({ params: [] }, (f) => {
        let outer: Parameters<typeof f.br>[0] | undefined;
        f.block((label) => {
          outer = label;
        });
        f.br(outer!);
      }),
    ).toThrow('not open here');
  });

  it('detects relaxed SIMD consistently with validation of its fused multiply-add', () => {
    const module = new ModuleBuilder();
    module.addFunction({ params: [], results: ['v128'] }, (f) => {
      for (const v of [2, 3, 4]) f.f32.const(v).f32x4.splat();
      f.f32x4.relaxed_madd();
    });
    expect(relaxedSimdSupported()).toBe(simdSupported() && WebAssembly.validate(module.build()));
    if (relaxedSimdSupported()) {
      module.addFunction(
        { params: [], results: ['f32'] },
        (f) => {
          for (const v of [2, 3, 4]) f.f32.const(v).f32x4.splat();
          f.f32x4.relaxed_madd().f32x4.extract_lane(2);
        },
        'madd',
      );
      const instance = new WebAssembly.Instance(new WebAssembly.Module(module.build()), {});
      expect((instance.exports.madd as () => number)()).toBe(10);
    }
  });
});
