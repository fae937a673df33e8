import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { narrowestDtype, parseNpy, serializeNpy } from './npy.js';

/** A hand-built .npy file with any header text and payload. */
function npyBytes(major: number, header: string, payload: number[]): Uint8Array {
  const headerBytes = new TextEncoder().encode(header);
  const prefix = major === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + headerBytes.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  out.set(payload, prefix + headerBytes.length);
  return out;
}

describe('npy', () => {
  it('round-trips int32 and uint8 arrays with 64-byte aligned headers', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 50 }), (values) => {
        const data = Int32Array.from(values);
        const bytes = serializeNpy(data, [data.length], narrowestDtype(data));
        expect(Array.from(parseNpy(bytes).data)).toEqual(values);
        expect((bytes.length - data.length * (narrowestDtype(data) === 'uint8' ? 1 : 4)) % 64).toBe(0);
      }),
    );
    const m = serializeNpy(Int32Array.of(1, 2, 3, 4, 5, 6), [2, 3], 'uint8');
    expect(parseNpy(m)).toEqual({ shape: [2, 3], data: Int32Array.of(1, 2, 3, 4, 5, 6) });
  });

  it('reads v2 and v3 headers, bool and int64 (narrowed)', () => {
    const i8 = [5, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    expect(Array.from(parseNpy(npyBytes(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", i8)).data)).toEqual([5, -1]);
    expect(parseNpy(npyBytes(3, "{'descr': '|b1', 'fortran_order': False, 'shape': (1, 2), }\n", [1, 0]))).toEqual({
      shape: [1, 2],
      data: Int32Array.of(1, 0),
    });
  });

  it('rejects what it cannot read, naming the file', () => {
    const header = (descr: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (1,), }\n`;
    expect(() => parseNpy(npyBytes(1, header('<f4'), [0, 0, 0, 0]), 'x.npy')).toThrow(/x\.npy: unsupported dtype '<f4'/);
    expect(() => parseNpy(npyBytes(1, header('>i4'), [0, 0, 0, 0]), 'x.npy')).toThrow(/x\.npy: unsupported dtype '>i4'/);
    expect(() => parseNpy(npyBytes(1, header('<i4', 'True'), [0, 0, 0, 0]), 'x.npy')).toThrow(/x\.npy: Fortran-order/);
    expect(() => parseNpy(npyBytes(1, header('<i8'), [0, 0, 0, 0, 1, 0, 0, 0]), 'x.npy')).toThrow(/x\.npy: int64 value 4294967296/);
    expect(() => parseNpy(npyBytes(1, header('<i4'), [0, 0]), 'x.npy')).toThrow(/x\.npy: truncated/);
    expect(() => parseNpy(new Uint8Array(12), 'x.npy')).toThrow(/x\.npy: not a \.npy file/);
  });

  it('refuses headers NumPy refuses: junk in the padding, unknown or repeated keys', () => {
    const ok = "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }";
    const payload = [7, 0, 0, 0];
    expect(parseNpy(npyBytes(1, `${ok}    \n`, payload), 'x.npy').data).toEqual(Int32Array.of(7));
    expect(parseNpy(npyBytes(1, "{'shape': (1,), 'descr': '<i4', 'fortran_order': False}\n", payload), 'x.npy').data).toEqual(Int32Array.of(7));
    for (const bad of [
      `${ok}  junk \n`,
      `${ok}\n\n`,
      `x${ok}\n`,
      `${ok.slice(0, -1)}'extra': 1, }\n`,
      "{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (1,)}\n",
    ]) {
      expect(() => parseNpy(npyBytes(1, bad, payload), 'x.npy'), JSON.stringify(bad)).toThrow(/x\.npy: malformed \.npy header/);
    }
    expect(() => parseNpy(npyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1e3,), }\n", payload), 'x.npy')).toThrow(/bad shape entry '1e3'/);
  });
});
