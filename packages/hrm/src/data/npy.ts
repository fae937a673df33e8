/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) for the integer arrays of a dataset:
 * little-endian int32, uint8, bool and int64 (narrowed to int32 with a range check), C order.
 * Pure: bytes in, bytes out; `source` only names the file in error messages.
 */

export type NpyDtype = 'int32' | 'uint8';

export interface NpyArray {
  shape: number[];
  data: Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<string, { bytes: number; read: (v: DataView, off: number) => number | bigint }> = {
  '<i4': { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  '|u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '<u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '|i1': { bytes: 1, read: (v, o) => v.getInt8(o) },
  '|b1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '<i8': { bytes: 8, read: (v, o) => v.getBigInt64(o, true) },
};

const ENTRY = /'(descr|fortran_order|shape)'\s*:\s*('[^']*'|True|False|\([^)]*\))\s*(,|$)/y;

/**
 * The header is a Python dict literal with exactly the keys descr, fortran_order and shape,
 * followed by space padding and a newline; anything else (junk in the padding, other keys) is
 * refused, as NumPy refuses it.
 */
function parseHeader(text: string, source: string): { descr: string; fortran: boolean; shape: number[] } {
  const malformed = (why: string) => new Error(`${source}: malformed .npy header (${why}): ${JSON.stringify(text.slice(0, 120))}`);
  const match = /^\{(.*)\}( *)\n?$/s.exec(text);
  if (!match) throw malformed('expected a dict followed by spaces and a newline');
  const body = match[1]!.trim();
  const values: Record<string, string> = {};
  ENTRY.lastIndex = 0;
  while (ENTRY.lastIndex < body.length) {
    const at = ENTRY.lastIndex;
    const entry = ENTRY.exec(body);
    if (!entry) throw malformed(`unexpected text at '${body.slice(at, at + 20)}'`);
    if (values[entry[1]!] !== undefined) throw malformed(`'${entry[1]}' given twice`);
    values[entry[1]!] = entry[2]!;
    while (/\s/.test(body[ENTRY.lastIndex] ?? '')) ENTRY.lastIndex++;
  }
  const { descr, fortran_order: fortran, shape } = values;
  if (descr === undefined || fortran === undefined || shape === undefined || !descr.startsWith("'") || !shape.startsWith('(')) {
    throw malformed("needs 'descr' (a string), 'fortran_order' and 'shape' (a tuple)");
  }
  const dims = shape
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d{1,15}L?$/.test(s)) throw new Error(`${source}: bad shape entry '${s}' in .npy header`);
      return Number(s.replace(/L$/, ''));
    });
  return { descr: descr.slice(1, -1), fortran: fortran === 'True', shape: dims };
}

export function parseNpy(bytes: Uint8Array, source = '<npy>'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${source}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new Error(`${source}: unsupported .npy format version ${major}.${bytes[7]}`);
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLen);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);
  const { descr, fortran, shape } = parseHeader(header, source);
  if (fortran) throw new Error(`${source}: Fortran-order arrays are not supported (save with C order)`);
  const kind = DESCR[descr];
  if (!kind) {
    throw new Error(`${source}: unsupported dtype '${descr}' (expected little-endian int32, uint8, int8, bool or int64)`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (bytes.length < dataStart + count * kind.bytes) {
    throw new Error(`${source}: truncated: ${count} elements of ${descr} need ${count * kind.bytes} bytes, found ${bytes.length - dataStart}`);
  }
  const data = new Int32Array(count);
  if (descr === '<i4' && (bytes.byteOffset + dataStart) % 4 === 0) {
    data.set(new Int32Array(bytes.buffer, bytes.byteOffset + dataStart, count));
  } else if (kind.bytes === 1 && descr !== '|i1') {
    data.set(bytes.subarray(dataStart, dataStart + count));
  } else {
    for (let i = 0; i < count; i++) {
      const v = kind.read(view, dataStart + i * kind.bytes);
      if (typeof v === 'bigint') {
        if (v < -2147483648n || v > 2147483647n) throw new Error(`${source}: int64 value ${v} at index ${i} does not fit in int32`);
        data[i] = Number(v);
      } else {
        data[i] = v;
      }
    }
  }
  return { shape, data };
}

/** Serialises `data` with `shape` as a version 1.0 `.npy` file (the header padded to 64 bytes). */
export function serializeNpy(data: Int32Array, shape: number[], dtype: NpyDtype): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`shape [${shape}] holds ${count} elements, data has ${data.length}`);
  const descr = dtype === 'int32' ? '<i4' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 65535) throw new Error('npy header too long');
  const itemBytes = dtype === 'int32' ? 4 : 1;
  const out = new Uint8Array(10 + header.length + count * itemBytes);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dataStart = 10 + header.length;
  if (dtype === 'int32') {
    for (let i = 0; i < count; i++) view.setInt32(dataStart + i * 4, data[i]!, true);
  } else {
    for (let i = 0; i < count; i++) {
      const v = data[i]!;
      if (v < 0 || v > 255) throw new Error(`value ${v} at index ${i} does not fit in uint8`);
      out[dataStart + i] = v;
    }
  }
  return out;
}

/** The narrowest dtype the official files use that holds every value: uint8, else int32. */
export function narrowestDtype(data: Int32Array): NpyDtype {
  for (const v of data) if (v < 0 || v > 255) return 'int32';
  return 'uint8';
}
