import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, parseSafetensors, parseSafetensorsHeader, serializeSafetensors, type SafetensorsTensor } from './safetensors.js';

/** A file assembled by hand: any header text, any data bytes. */
function rawFile(header: unknown, data: ArrayLike<number> = [], headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const u16le = (values: number[]) => values.flatMap((v) => [v & 0xff, v >> 8]);

describe('serializeSafetensors / parseSafetensors round trip', () => {
  const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const tensor: fc.Arbitrary<SafetensorsTensor> = fc.oneof(
    shape.chain((s) =>
      fc
        .array(fc.float({ noDefaultInfinity: false }), { minLength: size(s), maxLength: size(s) })
        .map((v) => ({ dtype: 'f32' as const, shape: s, data: Float32Array.from(v) })),
    ),
    shape.chain((s) =>
      fc
        .array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: size(s), maxLength: size(s) })
        .map((v) => ({ dtype: 'i32' as const, shape: s, data: Int32Array.from(v) })),
    ),
    shape.chain((s) =>
      fc.array(fc.double(), { minLength: size(s), maxLength: size(s) }).map((v) => ({ dtype: 'f64' as const, shape: s, data: Float64Array.from(v) })),
    ),
  );

  it('returns every tensor bit for bit, with metadata', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => k !== '__metadata__'),
          tensor,
          { maxKeys: 5 },
        ),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (entries, metadata) => {
          const bytes = serializeSafetensors(entries, metadata);
          const header = parseSafetensorsHeader(bytes);
          expect(header.dataStart % 8).toBe(0);
          const parsed = parseSafetensors(bytes);
          expect(parsed.metadata).toEqual(metadata);
          expect([...parsed.keys()].sort()).toEqual(Object.keys(entries).sort());
          for (const [name, t] of Object.entries(entries)) {
            const back = parsed.get(name)!;
            expect(back.dtype).toBe(t.dtype);
            expect(back.shape).toEqual(t.shape);
            // Compare bytes so that -0 and NaN count too.
            expect(new Uint8Array(back.data.buffer)).toEqual(new Uint8Array(t.data.buffer));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes sorted keys, widest dtypes first in the data, and a space-padded header', () => {
    const bytes = serializeSafetensors({
      b: { dtype: 'f32', shape: [1], data: new Float32Array([1]) },
      a: { dtype: 'i32', shape: [1], data: new Int32Array([2]) },
      c: { dtype: 'f64', shape: [1], data: new Float64Array([3]) },
    });
    const length = new DataView(bytes.buffer).getUint32(0, true);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + length));
    expect(text.trimEnd()).toBe(
      '{"a":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}',
    );
    expect(length % 8).toBe(0);
  });

  it('refuses tensors it cannot write', () => {
    expect(() => serializeSafetensors({ x: { dtype: 'f32', shape: [3], data: new Float32Array(2) } })).toThrow(
      "cannot write tensor 'x': shape [3] has 3 elements, data has 2",
    );
    expect(() => serializeSafetensors({ x: { dtype: 'f32', shape: [1], data: new Int32Array(1) } as never })).toThrow(
      "cannot write tensor 'x': dtype f32 needs a Float32Array",
    );
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'f32', shape: [0], data: new Float32Array(0) } })).toThrow('reserved');
  });
});

describe('reading dtypes other than f32/i32/f64', () => {
  const read = (dtype: string, shape: number[], data: number[]) =>
    parseSafetensors(rawFile({ t: { dtype, shape, data_offsets: [0, data.length] } }, data)).get('t')!;

  it('widens F16 exactly, subnormals, infinities and NaN included', () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      // biome-ignore lint/correctness/noPrecisionLoss: the f16 value exactly as a double prints it
      [0x0001, 5.960464477539063e-8],
      // biome-ignore lint/correctness/noPrecisionLoss: the f16 value exactly as a double prints it
      [0x8001, -5.960464477539063e-8],
      [0x03ff, 6.097555160522461e-5],
      [0x0400, 6.103515625e-5],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x7e00, NaN],
    ];
    const t = read('F16', [cases.length], u16le(cases.map(([bits]) => bits)));
    expect(t.dtype).toBe('f32');
    expect(t.fileDtype).toBe('F16');
    expect(Array.from(t.data)).toEqual(cases.map(([, value]) => value));
  });

  it('widens BF16 exactly', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc040, -3],
      [0x3eab, 0.333984375],
      [0x0001, 2 ** -133],
      [0x8000, -0],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x7fc0, NaN],
    ];
    const t = read('BF16', [2, 4], u16le(cases.map(([bits]) => bits)));
    expect(t.dtype).toBe('f32');
    expect(t.shape).toEqual([2, 4]);
    expect(Array.from(t.data)).toEqual(cases.map(([, value]) => value));
  });

  it('narrows I64 to i32, refusing values that do not fit', () => {
    const i64 = (values: bigint[]) => {
      const bytes = new Uint8Array(values.length * 8);
      values.forEach((v, i) => new DataView(bytes.buffer).setBigInt64(8 * i, v, true));
      return Array.from(bytes);
    };
    const t = read('I64', [3], i64([-(2n ** 31n), 2n ** 31n - 1n, -1n]));
    expect(t.dtype).toBe('i32');
    expect(Array.from(t.data)).toEqual([-(2 ** 31), 2 ** 31 - 1, -1]);
    expect(() => read('I64', [2], i64([0n, 2n ** 31n]))).toThrow("safetensors data: tensor 't': I64 element 1 (2147483648) does not fit in i32");
  });

  it('widens U8, I8, I16 and BOOL to i32', () => {
    expect(Array.from(read('U8', [2], [0, 255]).data)).toEqual([0, 255]);
    expect(Array.from(read('I8', [2], [0x7f, 0x80]).data)).toEqual([127, -128]);
    expect(Array.from(read('I16', [2], u16le([0x7fff, 0x8000])).data)).toEqual([32767, -32768]);
    const flags = read('BOOL', [3], [0, 1, 1]);
    expect(flags.dtype).toBe('i32');
    expect(Array.from(flags.data)).toEqual([0, 1, 1]);
  });
});

describe('malformed files', () => {
  const good = serializeSafetensors({
    a: { dtype: 'f32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
    b: { dtype: 'i32', shape: [3], data: new Int32Array([5, 6, 7]) },
  });
  const parse = (bytes: Uint8Array) => () => parseSafetensors(bytes, 'model.safetensors');

  it('names the source in every error', () => {
    expect(parse(good.subarray(0, 4))).toThrow(/^model\.safetensors: file is 4 bytes, too short/);
  });

  it('rejects a truncated file', () => {
    expect(parse(good.subarray(0, good.length - 1))).toThrow(
      "model.safetensors: tensor 'b': data_offsets [16, 28] reach past the end of the data section (27 bytes)",
    );
    expect(parse(good.subarray(0, 20))).toThrow(/header length \d+ runs past the end of the file \(20 bytes\)/);
  });

  it('rejects trailing bytes and holes', () => {
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(parse(longer)).toThrow('3 trailing bytes after the last tensor');
    const holed = rawFile({ a: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, [0, 0]);
    expect(parse(holed)).toThrow('bytes [0, 1) of the data section belong to no tensor');
  });

  it('rejects a header whose offsets lie', () => {
    const pastEnd = rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, [0, 0, 0, 0]);
    expect(parse(pastEnd)).toThrow("tensor 'a': data_offsets [0, 8] reach past the end of the data section (4 bytes)");
    const overlapping = rawFile(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
      new Array(8).fill(0),
    );
    expect(parse(overlapping)).toThrow("tensor 'b' at [4, 8] overlaps tensor 'a' at [0, 8]");
    const wrongLength = rawFile({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Array(12).fill(0));
    expect(parse(wrongLength)).toThrow("tensor 'a': data_offsets [0, 12] hold 12 bytes, but shape [2, 2] of F32 needs 16");
    const reversed = rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, new Array(4).fill(0));
    expect(parse(reversed)).toThrow("tensor 'a': data_offsets must be [begin, end] with 0 <= begin <= end");
  });

  it('rejects a huge header length without allocating it', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, MAX_HEADER_BYTES + 1, true);
    expect(parse(huge)).toThrow(`header length ${MAX_HEADER_BYTES + 1} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(parse(huge)).toThrow(/header length 4394967297 exceeds the limit/);
  });

  it('rejects a header that is not JSON, not an object, or not UTF-8', () => {
    expect(parse(rawFile('{"a": '))).toThrow(/model\.safetensors: header is not valid JSON/);
    expect(parse(rawFile('[1, 2]'))).toThrow('header must be a JSON object, found [1,2]');
    const latin1 = rawFile('{}');
    latin1[9] = 0xff;
    expect(parse(latin1)).toThrow('header is not valid UTF-8');
  });

  it('rejects unknown dtypes and bad shapes or metadata', () => {
    expect(parse(rawFile({ a: { dtype: 'F8_E4M3', shape: [0], data_offsets: [0, 0] } }))).toThrow(
      "tensor 'a': unknown or unsupported dtype 'F8_E4M3' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
    );
    expect(parse(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }))).toThrow(
      "tensor 'a': shape must be an array of non-negative integers, found [-1]",
    );
    expect(parse(rawFile({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 0] } }))).toThrow('found [1.5]');
    expect(parse(rawFile({ a: 3 }))).toThrow("tensor 'a': expected an object {dtype, shape, data_offsets}");
    expect(parse(rawFile({ __metadata__: { step: 3 } }))).toThrow("__metadata__['step'] must be a string, found 3");
  });
});

describe('parseSafetensorsHeader', () => {
  it('reads a header from the beginning of a file given its full size', () => {
    const bytes = serializeSafetensors({ w: { dtype: 'f32', shape: [1000], data: new Float32Array(1000) } }, { format: 'pt' });
    const headerEnd = 8 + new DataView(bytes.buffer).getUint32(0, true);
    const header = parseSafetensorsHeader(bytes.subarray(0, headerEnd), { fileSize: bytes.length, source: 'w.st' });
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.entries).toEqual([{ name: 'w', dtype: 'F32', shape: [1000], begin: 0, end: 4000 }]);
    expect(() => parseSafetensorsHeader(bytes.subarray(0, headerEnd - 1), { fileSize: bytes.length })).toThrow(
      `only ${headerEnd - 1} bytes given, the header needs the first ${headerEnd}`,
    );
  });
});

describe('tensor names', () => {
  it('keeps a tensor named __proto__ (found by the round-trip property)', () => {
    const bytes = serializeSafetensors({ ['__proto__']: { dtype: 'f32', shape: [1], data: new Float32Array([3]) } });
    const parsed = parseSafetensors(bytes);
    expect([...parsed.keys()]).toEqual(['__proto__']);
    expect(Array.from(parsed.get('__proto__')!.data)).toEqual([3]);
  });
});
