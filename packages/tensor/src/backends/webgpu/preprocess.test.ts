import { describe, expect, it } from 'vitest';
import { preprocess, resolveIncludes } from './preprocess.js';
import { sizeClass } from './pool.js';

describe('preprocess', () => {
  it('substitutes ${NAME} placeholders', () => {
    expect(preprocess('var<storage> x: array<${T}, ${N}>;', { T: 'f32', N: 4 })).toBe('var<storage> x: array<f32, 4>;');
  });

  it('keeps the live branch of nested #if / #elif / #else', () => {
    const src = ['#if OP == sum', 'sum', '#elif OP == max', '#if FAST', 'max fast', '#else', 'max slow', '#endif', '#else', 'other', '#endif', 'tail'].join(
      '\n',
    );
    expect(preprocess(src, { OP: 'max', FAST: false })).toBe('max slow\ntail');
    expect(preprocess(src, { OP: 'max', FAST: true })).toBe('max fast\ntail');
    expect(preprocess(src, { OP: 'sum', FAST: true })).toBe('sum\ntail');
    expect(preprocess(src, { OP: 'prod', FAST: 1 })).toBe('other\ntail');
  });

  it('treats undefined, false, 0 and empty flags as false, and supports !NAME and !=', () => {
    expect(preprocess('#if !A\nno a\n#endif', {})).toBe('no a');
    expect(preprocess('#if A\na\n#endif', { A: 0 })).toBe('');
    expect(preprocess('#if T != f32\nint\n#endif', { T: 'i32' })).toBe('int');
  });

  it('ignores placeholders in dropped branches and reports unknown names and unbalanced blocks', () => {
    expect(preprocess('#if X\n${MISSING}\n#endif', {})).toBe('');
    expect(() => preprocess('${MISSING}', {})).toThrow(/'MISSING' is not defined/);
    expect(() => preprocess('#if A\n', { A: 1 })).toThrow(/unterminated/);
    expect(() => preprocess('#endif', {})).toThrow(/without #if/);
  });
});

describe('resolveIncludes', () => {
  it('expands #include lines recursively, before the #if lines around them are evaluated', () => {
    const library = { 'a.wgsl': 'a1\n#include "b.wgsl"', 'b.wgsl': 'b1' };
    const src = '#if A\n#include "a.wgsl"\n#endif\ntail';
    expect(resolveIncludes(src, library)).toBe('#if A\na1\nb1\n#endif\ntail');
    expect(preprocess(resolveIncludes(src, library), { A: true })).toBe('a1\nb1\ntail');
    expect(preprocess(resolveIncludes(src, library), { A: false })).toBe('tail');
  });

  it('reports unknown names and cycles', () => {
    expect(() => resolveIncludes('#include "missing.wgsl"', {})).toThrow(/unknown include "missing.wgsl"/);
    expect(() => resolveIncludes('#include "a"', { a: '#include "b"', b: '#include "a"' })).toThrow(/"a" includes itself/);
  });
});

describe('buffer size classes', () => {
  it('are at least 256 bytes, cover the request, waste at most 25% and are monotone', () => {
    let previous = 0;
    for (let bytes = 0; bytes < 70000; bytes += 4) {
      const cls = sizeClass(bytes);
      expect(cls).toBeGreaterThanOrEqual(Math.max(bytes, 256));
      if (bytes > 256) expect(cls).toBeLessThanOrEqual(bytes * 1.25);
      expect(cls).toBeGreaterThanOrEqual(previous);
      expect(cls % 4).toBe(0);
      previous = cls;
    }
  });
});
