/**
 * PyTorch `torch.save` files holding a state dict, read without Python (browser-safe).
 *
 * Zip format (the default since PyTorch 1.6): a zip archive with one top folder holding
 * `data.pkl` (the pickled state dict, whose tensors refer to storages by persistent id), one file
 * per storage under `data/`, and optionally `byteorder`. The legacy format (before 1.6) is a
 * sequence of pickles: a magic number, the protocol version, system info, the state dict, the list
 * of storage keys, then each storage as an 8-byte element count and its raw bytes.
 *
 * The pickles are read by the restricted unpickler (`pickle.ts`), which accepts only the globals
 * listed in `ALLOWED` below: loading never imports or runs anything. Tensors come back as
 * contiguous host tensors with the dtype mapping of the safetensors reader (bf16/f16 widened to
 * f32 exactly, i64 narrowed to i32 with a check), in a map of the same type.
 */
import { unzipSync, type Unzipped } from 'fflate';
import { PickleError, describePickleValue, unpickle, type PickleBuildable, type PickleCallable } from './pickle.js';
import { DTYPE_CODECS, type SafetensorsDtype } from './safetensors-dtypes.js';
import type { LoadedTensor, SafetensorsMap } from './safetensors.js';

export class TorchFileError extends Error {
  override name = 'TorchFileError';
}

/** Storage classes by name (module `torch`) and the dtype of their elements. */
const STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** Elements a single tensor may have (2^31 - 1): more means a corrupt or hostile shape. */
const MAX_ELEMENTS = 2 ** 31 - 1;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** Legacy files start with PROTO 2, LONG1 of 10 bytes: the magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/** True for a zip-format or legacy-format `torch.save` file (judged by its first bytes). */
export function isTorchFile(bytes: Uint8Array): boolean {
  return startsWith(bytes, ZIP_MAGIC) || startsWith(bytes, LEGACY_MAGIC);
}

class StorageType implements PickleCallable {
  constructor(
    readonly qualifiedName: string,
    readonly dtype: SafetensorsDtype,
  ) {}
  call(): never {
    throw new Error('storage classes are not constructed by a state dict');
  }
}

interface StorageRef {
  dtype: SafetensorsDtype;
  key: string;
  numel: number;
}

class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** collections.OrderedDict: a Map that accepts (and drops) the `_metadata` state BUILD gives it. */
class OrderedDict extends Map<unknown, unknown> implements PickleBuildable {
  pickleBuild(state: unknown): void {
    if (state !== null && !(state instanceof Map)) throw new Error(`OrderedDict state must be a dict, found ${describePickleValue(state)}`);
  }
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const countTuple = (x: unknown, what: string): number[] => {
  if (!Array.isArray(x) || !x.every(isCount)) throw new Error(`${what} must be a tuple of non-negative integers, found ${describePickleValue(x)}`);
  return [...x];
};

function callable(qualifiedName: string, call: (args: readonly unknown[]) => unknown): PickleCallable {
  return { qualifiedName, call };
}

/** `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])` */
function rebuildTensor(args: readonly unknown[]): TensorRef {
  if (args.length < 6 || args.length > 7) throw new Error(`expected 6 or 7 arguments, found ${args.length}`);
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof Object) || !('key' in storage)) throw new Error(`the storage argument is ${describePickleValue(storage)}, not a storage`);
  if (!isCount(offset)) throw new Error(`storage_offset must be a non-negative integer, found ${describePickleValue(offset)}`);
  const shape = countTuple(size, 'size');
  const strides = countTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`size has ${shape.length} dimensions, stride ${strides.length}`);
  return new TensorRef(storage as StorageRef, offset, shape, strides);
}

/** `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`: the data itself. */
function rebuildParameter(args: readonly unknown[]): TensorRef {
  if (args.length !== 3 || !(args[0] instanceof TensorRef)) throw new Error(`expected (tensor, requires_grad, backward_hooks), found ${args.length} arguments`);
  return args[0];
}

/** The only globals a state dict may name. Everything else is refused by the unpickler. */
function resolveGlobal(module: string, name: string): PickleCallable | undefined {
  const qualified = `${module}.${name}`;
  if (module === 'collections' && name === 'OrderedDict') {
    return callable(qualified, (args) => {
      if (args.length !== 0) throw new Error('expected no arguments (the items follow with SETITEMS)');
      return new OrderedDict();
    });
  }
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return callable(qualified, rebuildTensor);
  if (module === 'torch._utils' && name === '_rebuild_parameter') return callable(qualified, rebuildParameter);
  if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageType(qualified, STORAGE_DTYPES[name]!);
  return undefined;
}

/** persistent_load: ('storage', StorageType, key, location, numel[, view_metadata]). */
function storageFromPid(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
    throw new Error(`persistent id must be ('storage', type, key, location, numel), found ${describePickleValue(pid)}`);
  }
  const [, type, key, , numel] = pid as unknown[];
  if (!(type instanceof StorageType)) throw new Error(`storage type is ${describePickleValue(type)}, not a torch storage class`);
  if (typeof key !== 'string') throw new Error(`storage key must be a string, found ${describePickleValue(key)}`);
  if (!isCount(numel)) throw new Error(`storage size must be a non-negative integer, found ${describePickleValue(numel)}`);
  return { dtype: type.dtype, key, numel };
}

/** Reads a pickle whose persistent ids are storages (the state dict's), or plain data without them. */
function readPickle(pickle: Uint8Array, source: string, onStorage?: (s: StorageRef) => void): { value: unknown; end: number } {
  const storages = new Map<string, StorageRef>();
  return unpickle(pickle, {
    source,
    resolveGlobal,
    persistentLoad: (pid) => {
      const ref = storageFromPid(pid);
      const seen = storages.get(ref.key);
      if (seen) {
        if (seen.dtype !== ref.dtype) throw new PickleError(`${source}: storage '${ref.key}' is read as ${seen.dtype} and as ${ref.dtype}`);
        return seen;
      }
      storages.set(ref.key, ref);
      onStorage?.(ref);
      return ref;
    },
  });
}

/** Decodes one storage's elements from its bytes, caching per key. */
type StorageReader = (ref: StorageRef) => LoadedTensor['data'];

function toStateDict(root: unknown, readStorage: StorageReader, source: string): SafetensorsMap {
  const fail = (message: string): never => {
    throw new TorchFileError(`${source}: ${message}`);
  };
  if (!(root instanceof Map)) return fail(`the pickled object is ${describePickleValue(root)}, not a state dict (a dict of tensors)`);
  const tensors = new Map<string, LoadedTensor>();
  for (const [key, value] of root) {
    if (typeof key !== 'string') fail(`state dict key ${describePickleValue(key)} is not a string`);
    const name = key as string;
    if (!(value instanceof TensorRef)) fail(`state dict entry '${name}' is ${describePickleValue(value)}, not a tensor`);
    tensors.set(name, materialize(name, value as TensorRef, readStorage, fail));
  }
  return Object.assign(tensors, { metadata: {} });
}

/** Gathers a (possibly strided) view into a contiguous array, checking it stays inside its storage. */
function materialize(name: string, ref: TensorRef, readStorage: StorageReader, fail: (m: string) => never): LoadedTensor {
  const { shape, stride, offset, storage } = ref;
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_ELEMENTS) fail(`tensor '${name}': shape [${shape.join(', ')}] has ${count} elements, over the limit of ${MAX_ELEMENTS}`);
  if (count > 0) {
    const last = offset + shape.reduce((sum, d, i) => sum + (d - 1) * stride[i]!, 0);
    if (last >= storage.numel) {
      fail(
        `tensor '${name}': shape [${shape.join(', ')}], stride [${stride.join(', ')}] and offset ${offset} reach element ${last} of a storage of ${storage.numel}`,
      );
    }
  }
  const data = readStorage(storage);
  const out = new (data.constructor as new (n: number) => LoadedTensor['data'])(count);
  const contiguous = stride.every((s, i) => shape[i] === 1 || s === shape.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous) {
    out.set(data.subarray(offset, offset + count));
  } else {
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let at = offset;
      for (let d = 0; d < shape.length; d++) at += index[d]! * stride[d]!;
      out[i] = data[at]!;
      for (let d = shape.length - 1; d >= 0 && ++index[d]! === shape[d]; d--) index[d] = 0;
    }
  }
  const dtype = out instanceof Float32Array ? 'f32' : out instanceof Float64Array ? 'f64' : 'i32';
  return { dtype, shape, data: out, fileDtype: storage.dtype } as LoadedTensor;
}

function decodeStorage(ref: StorageRef, bytes: Uint8Array | undefined, where: string, source: string): LoadedTensor['data'] {
  const fail = (message: string): never => {
    throw new TorchFileError(`${source}: storage '${ref.key}' (${where}): ${message}`);
  };
  if (bytes === undefined) return fail('missing from the file');
  const needed = ref.numel * DTYPE_CODECS[ref.dtype].bytes;
  if (bytes.length < needed) fail(`holds ${bytes.length} bytes, ${ref.numel} elements of ${ref.dtype} need ${needed}`);
  return DTYPE_CODECS[ref.dtype].decode(bytes.subarray(0, needed), ref.numel, fail);
}

function cachedReader(read: (ref: StorageRef) => LoadedTensor['data']): StorageReader {
  const cache = new Map<string, LoadedTensor['data']>();
  return (ref) => {
    let data = cache.get(ref.key);
    if (!data) cache.set(ref.key, (data = read(ref)));
    return data;
  };
}

/** Parses a `torch.save` file (zip or legacy format) holding a state dict. */
export function parseTorchStateDict(bytes: Uint8Array, source = 'torch.save data'): SafetensorsMap {
  if (startsWith(bytes, ZIP_MAGIC)) return parseZip(bytes, source);
  if (startsWith(bytes, LEGACY_MAGIC)) return parseLegacy(bytes, source);
  throw new TorchFileError(`${source}: not a torch.save file (it starts with neither a zip header nor the legacy magic number)`);
}

function parseZip(bytes: Uint8Array, source: string): SafetensorsMap {
  let files: Unzipped;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    throw new TorchFileError(`${source}: not a readable zip archive (${(e as Error).message})`);
  }
  const pickles = Object.keys(files).filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new TorchFileError(`${source}: expected one <folder>/data.pkl in the archive, found ${pickles.length === 0 ? 'none' : pickles.join(', ')}`);
  }
  const folder = pickles[0]!.slice(0, -'data.pkl'.length);
  const byteorder = files[`${folder}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new TorchFileError(`${source}: byteorder is '${new TextDecoder().decode(byteorder).trim()}', only little-endian files are read`);
  }
  const root = readPickle(files[pickles[0]!]!, `${source} (${pickles[0]})`).value;
  const read = cachedReader((ref) => decodeStorage(ref, files[`${folder}data/${ref.key}`], `${folder}data/${ref.key}`, source));
  return toStateDict(root, read, source);
}

/** The legacy format: five pickles in a row, then the storages' bytes in the order of the key list. */
function parseLegacy(bytes: Uint8Array, source: string): SafetensorsMap {
  let pos = 0;
  const next = (what: string, onStorage?: (s: StorageRef) => void): unknown => {
    const { value, end } = readPickle(bytes.subarray(pos), `${source} (${what})`, onStorage);
    pos += end;
    return value;
  };
  next('magic number');
  const protocol = next('protocol version');
  if (protocol !== 1001) throw new TorchFileError(`${source}: legacy protocol version ${describePickleValue(protocol)}, expected 1001`);
  const info = next('system info');
  if (info instanceof Map && info.get('little_endian') === false) throw new TorchFileError(`${source}: big-endian legacy files are not read`);
  const storages = new Map<string, StorageRef>();
  const root = next('state dict', (s) => storages.set(s.key, s));
  const keys = next('storage keys');
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))
    throw new TorchFileError(`${source}: the storage key list is ${describePickleValue(keys)}`);
  const data = new Map<string, Uint8Array>();
  for (const key of keys as string[]) {
    const ref = storages.get(key);
    if (!ref) throw new TorchFileError(`${source}: storage '${key}' is listed but no tensor uses it`);
    if (pos + 8 > bytes.length) throw new TorchFileError(`${source}: truncated before storage '${key}'`);
    const numel = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigInt64(0, true);
    if (numel !== BigInt(ref.numel)) throw new TorchFileError(`${source}: storage '${key}' holds ${numel} elements, the state dict says ${ref.numel}`);
    const length = ref.numel * DTYPE_CODECS[ref.dtype].bytes;
    data.set(key, bytes.subarray(pos + 8, pos + 8 + length));
    pos += 8 + length;
  }
  const read = cachedReader((ref) => decodeStorage(ref, data.get(ref.key), 'legacy data section', source));
  return toStateDict(root, read, source);
}
