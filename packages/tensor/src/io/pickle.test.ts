/**
 * The restricted unpickler on plain data pickled by Python's own `pickle` at protocols 2 to 5
 * (the opcodes each protocol writes: memo, framing, short strings, longs, floats, tuples), and
 * on what it must refuse. Python-written cases skip with a notice where python3 is missing.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PickleError, unpickle } from './pickle.js';

const PYTHON = process.env.HRM_TORCH_PYTHON ?? 'python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import pickle'], { stdio: 'ignore' }).status === 0;
if (!hasPython) console.warn(`[tests] Python-written pickle cases skipped: ${PYTHON} is not runnable`);

const refuseAll = { source: 'p', resolveGlobal: () => undefined };

/** Python's pickle of `value` (a Python expression) at `protocol`. */
function pythonPickle(value: string, protocol: number): Uint8Array {
  const run = spawnSync(PYTHON, ['-c', `import pickle, sys; sys.stdout.buffer.write(pickle.dumps(${value}, protocol=${protocol}))`]);
  if (run.status !== 0) throw new Error(String(run.stderr));
  return new Uint8Array(run.stdout);
}

/** Maps to plain JSON-able values: Maps to entry lists, bigints to strings. */
const plain = (x: unknown): unknown =>
  x instanceof Map
    ? [...x].map(([k, v]) => [plain(k), plain(v)])
    : Array.isArray(x)
      ? x.map(plain)
      : typeof x === 'bigint'
        ? `${x}n`
        : x instanceof Uint8Array
          ? Array.from(x)
          : x;

describe.skipIf(!hasPython)('unpickle on Python-written data', () => {
  const value = `{'a': [1, -2, 300, 70000, -70000, 2**40, -2**63, 2**70], 'b': (1.5, -0.0, float('inf')), 'c': ('x',), 'd': (), 'e': [None, True, False], 'f': 'ünïcödé ' * 3, 'h': {1: 'one'}, 'shared': [[7]] * 2}`;
  // Protocol 2 writes bytes through _codecs.encode (refused, as a state dict has none); 3+ natively.
  const withBytes = value.replace("'h':", "'g': b'\\x00\\xff', 'h':");
  const expected = [
    ['a', [1, -2, 300, 70000, -70000, 2 ** 40, '-9223372036854775808n', '1180591620717411303424n']],
    ['b', [1.5, -0, Infinity]],
    ['c', ['x']],
    ['d', []],
    ['e', [null, true, false]],
    ['f', 'ünïcödé '.repeat(3)],
    ['h', [[1, 'one']]],
    ['shared', [[7], [7]]],
  ];
  for (const protocol of [2, 3, 4, 5]) {
    it(`reads protocol ${protocol}`, () => {
      const bytes = pythonPickle(protocol >= 3 ? withBytes : value, protocol);
      const { value: read, end } = unpickle(bytes, refuseAll);
      expect(end).toBe(bytes.length);
      const want = protocol >= 3 ? [...expected.slice(0, 6), ['g', [0, 255]], ...expected.slice(6)] : expected;
      expect(plain(read)).toEqual(want);
      const tuple = (read as Map<string, unknown>).get('c');
      expect(Object.isFrozen(tuple)).toBe(true);
      // The memo shares one list between both slots, as Python does.
      const shared = (read as Map<string, unknown[]>).get('shared')!;
      expect(shared[0]).toBe(shared[1]);
    });
  }

  it('refuses sets and objects by opcode or global name', () => {
    expect(() => unpickle(pythonPickle('{1, 2}', 4), refuseAll)).toThrow(/refused pickle opcode EMPTY_SET/);
    expect(() => unpickle(pythonPickle('{1, 2}', 2), refuseAll)).toThrow(/refused global __builtin__\.set/);
    expect(() => unpickle(pythonPickle('__import__("collections").Counter("ab")', 2), refuseAll)).toThrow(/refused global collections\.Counter/);
  });
});

describe('unpickle errors', () => {
  it('names truncation, stack underflow, an unbalanced STOP and bad memo reads, with the position', () => {
    expect(() => unpickle(Uint8Array.of(0x80, 0x02, 0x4a, 1, 2), refuseAll)).toThrow(
      new PickleError('p: truncated: 4 more bytes needed, 2 left (pickle byte 3)'),
    );
    expect(() => unpickle(Uint8Array.of(0x80, 0x02, 0x61, 0x2e), refuseAll)).toThrow(/stack underflow: APPEND needs a value/);
    expect(() => unpickle(Uint8Array.of(0x4e, 0x4e, 0x2e), refuseAll)).toThrow(/STOP with 2 values on the stack/);
    expect(() => unpickle(Uint8Array.of(0x68, 5, 0x2e), refuseAll)).toThrow(/memo entry 5 read before it was written/);
    expect(() => unpickle(Uint8Array.of(0x28, 0x4e, 0x73, 0x2e), refuseAll)).toThrow(/stack underflow: SETITEM/);
  });
});
