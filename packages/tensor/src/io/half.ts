/**
 * Widening of 16-bit floats to f32. Both conversions are exact: every f16 and bf16 value,
 * subnormals, infinities and NaN included, is representable in f32.
 */

const F16_SUBNORMAL_UNIT = 2 ** -24;

/** The value of an IEEE 754 binary16 bit pattern. */
export function f16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * F16_SUBNORMAL_UNIT;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Decodes little-endian f16 values starting at `bytes[0]`. */
export function decodeF16(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f16BitsToNumber(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  return out;
}

/** Decodes little-endian bfloat16 values: a bf16 is the high half of an f32's bits. */
export function decodeBF16(bytes: Uint8Array, count: number): Float32Array {
  const bits = new Uint32Array(count);
  for (let i = 0; i < count; i++) bits[i] = ((bytes[2 * i]! << 16) | (bytes[2 * i + 1]! << 24)) >>> 0;
  return new Float32Array(bits.buffer);
}
