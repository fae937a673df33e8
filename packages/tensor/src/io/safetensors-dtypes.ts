/**
 * The safetensors dtypes this engine reads and writes, and how each maps onto an engine dtype.
 *
 * Read: F32, I32 and F64 as they are; F16 and BF16 widened to f32 (exact); I64 narrowed to i32,
 * with an error naming the tensor when a value does not fit; I16, I8, U8 and BOOL widened to i32
 * (BOOL as 0 or 1). Written: F32, I32 and F64. Unsigned 16/32/64-bit and 8-bit float files are
 * refused: nothing in this project produces them.
 */
import { decodeBF16, decodeF16 } from './half.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Engine dtypes a tensor has once read; also the dtypes that can be written. */
export type SafetensorsTensor =
  | { dtype: 'f32'; shape: number[]; data: Float32Array }
  | { dtype: 'i32'; shape: number[]; data: Int32Array }
  | { dtype: 'f64'; shape: number[]; data: Float64Array };
export type StoredDtype = SafetensorsTensor['dtype'];

interface DtypeCodec {
  readonly bytes: number;
  /** Decodes `count` elements from `bytes` (a view of exactly this tensor's data); `fail` reports bad values. */
  decode(bytes: Uint8Array, count: number, fail: (message: string) => never): SafetensorsTensor['data'];
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function decodeWith<T extends Float32Array | Float64Array | Int32Array>(
  make: new (count: number) => T,
  read: (view: DataView, index: number) => number,
): DtypeCodec['decode'] {
  return (bytes, count) => {
    const out = new make(count);
    const v = view(bytes);
    for (let i = 0; i < count; i++) out[i] = read(v, i);
    return out;
  };
}

function decodeI64(bytes: Uint8Array, count: number, fail: (message: string) => never): Int32Array {
  const out = new Int32Array(count);
  const v = view(bytes);
  for (let i = 0; i < count; i++) {
    const low = v.getInt32(8 * i, true);
    const high = v.getInt32(8 * i + 4, true);
    // The value fits in an i32 exactly when the high word is the sign extension of the low one.
    if (high !== low >> 31) fail(`I64 element ${i} (${v.getBigInt64(8 * i, true)}) does not fit in i32`);
    out[i] = low;
  }
  return out;
}

export const DTYPE_CODECS: Readonly<Record<SafetensorsDtype, DtypeCodec>> = {
  F64: { bytes: 8, decode: decodeWith(Float64Array, (v, i) => v.getFloat64(8 * i, true)) },
  F32: { bytes: 4, decode: decodeWith(Float32Array, (v, i) => v.getFloat32(4 * i, true)) },
  F16: { bytes: 2, decode: decodeF16 },
  BF16: { bytes: 2, decode: decodeBF16 },
  I64: { bytes: 8, decode: decodeI64 },
  I32: { bytes: 4, decode: decodeWith(Int32Array, (v, i) => v.getInt32(4 * i, true)) },
  I16: { bytes: 2, decode: decodeWith(Int32Array, (v, i) => v.getInt16(2 * i, true)) },
  I8: { bytes: 1, decode: decodeWith(Int32Array, (v, i) => v.getInt8(i)) },
  U8: { bytes: 1, decode: decodeWith(Int32Array, (v, i) => v.getUint8(i)) },
  BOOL: { bytes: 1, decode: decodeWith(Int32Array, (v, i) => (v.getUint8(i) === 0 ? 0 : 1)) },
};

export const SUPPORTED_DTYPES = Object.keys(DTYPE_CODECS) as SafetensorsDtype[];

export function isSafetensorsDtype(name: string): name is SafetensorsDtype {
  return Object.hasOwn(DTYPE_CODECS, name);
}

/** The file dtype each engine dtype is written as, with its element size. */
export const WRITE_FORMATS: Readonly<Record<StoredDtype, { fileDtype: SafetensorsDtype; bytes: number; write(v: DataView, at: number, x: number): void }>> = {
  f64: { fileDtype: 'F64', bytes: 8, write: (v, at, x) => v.setFloat64(at, x, true) },
  f32: { fileDtype: 'F32', bytes: 4, write: (v, at, x) => v.setFloat32(at, x, true) },
  i32: { fileDtype: 'I32', bytes: 4, write: (v, at, x) => v.setInt32(at, x, true) },
};
