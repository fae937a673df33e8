/**
 * safetensors read and write over plain bytes (browser-safe; files live in `node/files.ts`).
 *
 * Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name
 * to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data section that follows
 * the header) plus an optional `__metadata__` string map, then the data section, which the tensors
 * must cover exactly: no overlaps, no holes, no trailing bytes. Every check failure throws a
 * SafetensorsError naming the source, the tensor and what was expected against what was found.
 * Dtype mapping on read (F16/BF16 widened, I64 narrowed, ...) is described in `safetensors-dtypes.ts`.
 */
import { DTYPE_CODECS, SUPPORTED_DTYPES, WRITE_FORMATS, isSafetensorsDtype, type SafetensorsDtype, type SafetensorsTensor } from './safetensors-dtypes.js';

export type { SafetensorsDtype, SafetensorsTensor, StoredDtype } from './safetensors-dtypes.js';

/** Headers larger than this are refused before anything is allocated (the reference library's bound). */
export const MAX_HEADER_BYTES = 100_000_000;
const LENGTH_PREFIX_BYTES = 8;
const METADATA_KEY = '__metadata__';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** One tensor as described by the header; offsets are relative to the data section. */
export interface SafetensorsHeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** In header order. */
  entries: SafetensorsHeaderEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

/** A decoded tensor, with the dtype it had in the file (for example 'BF16' for a widened f32). */
export type LoadedTensor = SafetensorsTensor & { fileDtype: SafetensorsDtype };

/** Tensors by name, in header order, with the file's `__metadata__` alongside. */
export type SafetensorsMap = Map<string, LoadedTensor> & { readonly metadata: Record<string, string> };

export interface HeaderOptions {
  /** Named in every error: a file name, a URL. */
  source?: string;
  /** Size of the whole file when `bytes` holds only its beginning (header and length prefix). */
  fileSize?: number;
}

const DEFAULT_SOURCE = 'safetensors data';
const formatShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const elementCount = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Reads and validates the header. `bytes` may be the whole file, or only its first
 * 8 + header-length bytes with `fileSize` giving the whole size (to inspect large files cheaply).
 */
export function parseSafetensorsHeader(bytes: Uint8Array, options: HeaderOptions = {}): SafetensorsHeader {
  const source = options.source ?? DEFAULT_SOURCE;
  const fileSize = options.fileSize ?? bytes.length;
  const fail = (message: string): never => {
    throw new SafetensorsError(`${source}: ${message}`);
  };

  if (fileSize < LENGTH_PREFIX_BYTES) {
    fail(`file is ${fileSize} bytes, too short for the 8-byte header length: truncated or not a safetensors file`);
  }
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, LENGTH_PREFIX_BYTES);
  const headerLength = prefix.getUint32(4, true) * 2 ** 32 + prefix.getUint32(0, true);
  if (headerLength > MAX_HEADER_BYTES) {
    fail(`header length ${headerLength} exceeds the limit of ${MAX_HEADER_BYTES} bytes: corrupt or not a safetensors file`);
  }
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  if (dataStart > fileSize) {
    fail(`header length ${headerLength} runs past the end of the file (${fileSize} bytes): truncated or corrupt file`);
  }
  if (bytes.length < dataStart) {
    fail(`only ${bytes.length} bytes given, the header needs the first ${dataStart}`);
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(LENGTH_PREFIX_BYTES, dataStart));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(json)) return fail(`header must be a JSON object, found ${JSON.stringify(json)?.slice(0, 40)}`);

  let metadata: Record<string, string> = {};
  const entries: SafetensorsHeaderEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, fail));
  }
  checkCoverage(entries, fileSize - dataStart, fail);
  return { entries, metadata, dataStart };
}

function parseMetadata(value: unknown, fail: (message: string) => never): Record<string, string> {
  if (!isPlainObject(value)) return fail(`${METADATA_KEY} must be an object of strings`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') fail(`${METADATA_KEY}['${key}'] must be a string, found ${JSON.stringify(item)}`);
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, fail: (message: string) => never): SafetensorsHeaderEntry {
  const bad = (message: string) => fail(`tensor '${name}': ${message}`);
  if (!isPlainObject(value)) return bad('expected an object {dtype, shape, data_offsets}');
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') return bad(`dtype must be a string, found ${JSON.stringify(dtype)}`);
  if (!isSafetensorsDtype(dtype)) {
    return bad(`unknown or unsupported dtype '${dtype}' (supported: ${SUPPORTED_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return bad(`shape must be an array of non-negative integers, found ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0]! > offsets[1]!) {
    return bad(`data_offsets must be [begin, end] with 0 <= begin <= end, found ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape) * DTYPE_CODECS[dtype].bytes;
  if (end - begin !== expected) {
    bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, ` + `but shape ${formatShape(shape)} of ${dtype} needs ${expected}`);
  }
  return { name, dtype, shape, begin, end };
}

/** The tensors must tile the data section exactly, as the format requires. */
function checkCoverage(entries: SafetensorsHeaderEntry[], dataLength: number, fail: (message: string) => never) {
  for (const { name, begin, end } of entries) {
    if (end > dataLength) {
      fail(
        `tensor '${name}': data_offsets [${begin}, ${end}] reach past the end of the data section ` + `(${dataLength} bytes): truncated file or lying header`,
      );
    }
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: SafetensorsHeaderEntry | undefined;
  for (const entry of byOffset) {
    if (entry.begin < covered) {
      fail(`tensor '${entry.name}' at [${entry.begin}, ${entry.end}] overlaps tensor ` + `'${previous?.name}' at [${previous?.begin}, ${previous?.end}]`);
    }
    if (entry.begin > covered) {
      fail(`bytes [${covered}, ${entry.begin}) of the data section belong to no tensor (holes are not allowed)`);
    }
    covered = entry.end;
    previous = entry;
  }
  if (covered < dataLength) {
    fail(`${dataLength - covered} trailing bytes after the last tensor (data section is ${dataLength} bytes, tensors cover ${covered})`);
  }
}

/** Parses a whole safetensors file, decoding every tensor (copies: the result does not alias `bytes`). */
export function parseSafetensors(bytes: Uint8Array, source: string = DEFAULT_SOURCE): SafetensorsMap {
  const header = parseSafetensorsHeader(bytes, { source });
  const tensors = new Map<string, LoadedTensor>();
  for (const { name, dtype, shape, begin, end } of header.entries) {
    const slice = bytes.subarray(header.dataStart + begin, header.dataStart + end);
    const data = DTYPE_CODECS[dtype].decode(slice, elementCount(shape), (message) => {
      throw new SafetensorsError(`${source}: tensor '${name}': ${message}`);
    });
    tensors.set(name, { ...tensorOf(data, shape), fileDtype: dtype });
  }
  return Object.assign(tensors, { metadata: header.metadata });
}

function tensorOf(data: SafetensorsTensor['data'], shape: number[]): SafetensorsTensor {
  if (data instanceof Float32Array) return { dtype: 'f32', shape, data };
  if (data instanceof Float64Array) return { dtype: 'f64', shape, data };
  return { dtype: 'i32', shape, data };
}

/**
 * Serialises tensors (f32, i32, f64). Header keys are sorted; data is laid out by element size,
 * widest first, then by name, so every tensor is aligned to its element size; the header is padded
 * with spaces so that the data section starts at a multiple of 8.
 */
export function serializeSafetensors(entries: Record<string, SafetensorsTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(entries).sort();
  for (const name of names) checkWritable(name, entries[name]!);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`safetensors metadata '${key}' must be a string`);
  }

  const layout = [...names].sort((a, b) => WRITE_FORMATS[entries[b]!.dtype].bytes - WRITE_FORMATS[entries[a]!.dtype].bytes || (a < b ? -1 : 1));
  const offsets = new Map<string, [number, number]>();
  let dataLength = 0;
  for (const name of layout) {
    const { dtype, data } = entries[name]!;
    const begin = dataLength;
    dataLength += data.length * WRITE_FORMATS[dtype].bytes;
    offsets.set(name, [begin, dataLength]);
  }

  const header: Record<string, unknown> = Object.create(null); // a tensor may be named '__proto__'
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  for (const name of names) {
    const { dtype, shape } = entries[name]!;
    header[name] = { dtype: WRITE_FORMATS[dtype].fileDtype, shape, data_offsets: offsets.get(name) };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;

  const out = new Uint8Array(dataStart + dataLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, LENGTH_PREFIX_BYTES);
  out.fill(0x20, LENGTH_PREFIX_BYTES + json.length, dataStart);
  for (const name of layout) {
    const { dtype, data } = entries[name]!;
    const { bytes, write } = WRITE_FORMATS[dtype];
    const at = dataStart + offsets.get(name)![0];
    for (let i = 0; i < data.length; i++) write(view, at + i * bytes, data[i]!);
  }
  return out;
}

function checkWritable(name: string, tensor: SafetensorsTensor): void {
  const bad = (message: string): never => {
    throw new SafetensorsError(`cannot write tensor '${name}': ${message}`);
  };
  if (name === METADATA_KEY) bad(`'${METADATA_KEY}' is reserved for metadata`);
  if (!Object.hasOwn(WRITE_FORMATS, tensor.dtype)) {
    bad(`dtype '${tensor.dtype}' cannot be written (writable: ${Object.keys(WRITE_FORMATS).join(', ')})`);
  }
  const expectedArray = { f32: Float32Array, i32: Int32Array, f64: Float64Array }[tensor.dtype];
  if (!(tensor.data instanceof expectedArray)) bad(`dtype ${tensor.dtype} needs a ${expectedArray.name}`);
  if (!Array.isArray(tensor.shape) || !tensor.shape.every(isCount)) {
    bad(`shape must be non-negative integers, found ${JSON.stringify(tensor.shape)}`);
  }
  if (elementCount(tensor.shape) !== tensor.data.length) {
    bad(`shape ${formatShape(tensor.shape)} has ${elementCount(tensor.shape)} elements, data has ${tensor.data.length}`);
  }
}
