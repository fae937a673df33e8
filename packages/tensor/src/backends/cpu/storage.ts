/**
 * CPU storage: a typed array tagged with its dtype, plus the checks every kernel runs on its
 * operands so that misuse fails loudly with the kernel's name, what it expected and what it found.
 */
import { typedArrayFor, type AnyTypedArray, type DType, type Storage } from '../../backend.js';

export class CpuStorage implements Storage {
  readonly backend = 'cpu' as const;
  private array: AnyTypedArray | null;

  constructor(
    readonly dtype: DType,
    data: AnyTypedArray,
  ) {
    this.array = data;
  }

  get size(): number {
    return this.array?.length ?? 0;
  }

  get freed(): boolean {
    return this.array === null;
  }

  /** The backing array; throws after free so that use-after-free cannot go unnoticed. */
  get data(): AnyTypedArray {
    if (this.array === null) throw new Error('cpu: storage used after free');
    return this.array;
  }

  release(): void {
    this.array = null;
  }
}

export type FloatArray = Float32Array | Float64Array;
export type FloatDType = 'f32' | 'f64';

export function dtypeOfArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  return 'bool';
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'f32' || dtype === 'f64';
}

/** Unwraps a live storage made by the CPU backend. */
export function cpuStorage(s: Storage, kernel: string, operand: string): CpuStorage {
  if (!(s instanceof CpuStorage)) {
    throw new Error(`cpu.${kernel}: ${operand} must be a cpu storage, found one from backend '${s.backend}'`);
  }
  if (s.freed) throw new Error(`cpu.${kernel}: ${operand} was already freed`);
  return s;
}

export function expectDtype(kernel: string, operand: string, found: DType, expected: readonly DType[]): void {
  if (!expected.includes(found)) {
    throw new Error(`cpu.${kernel}: expected ${operand} of dtype ${expected.join(' or ')}, found ${found}`);
  }
}

/** All operands (cpu storages) share the first one's dtype, which is returned. */
export function expectSameDtype(kernel: string, operands: Record<string, Storage>): DType {
  const entries = Object.entries(operands).map(([name, s]) => [name, cpuStorage(s, kernel, name).dtype] as const);
  const [firstName, first] = entries[0]!;
  for (const [name, dtype] of entries.slice(1)) {
    if (dtype !== first) {
      throw new Error(`cpu.${kernel}: expected ${name} to have the dtype of ${firstName} (${first}), found ${dtype}`);
    }
  }
  return first;
}

export function expectSize(kernel: string, operand: string, found: number, expected: number): void {
  if (found !== expected) {
    throw new Error(`cpu.${kernel}: expected ${operand} to have ${expected} elements, found ${found}`);
  }
}

export function expectNonNegativeInt(kernel: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`cpu.${kernel}: expected ${name} to be a non-negative integer, found ${value}`);
  }
}

/** A float operand: checks dtype and element count, returns its array. */
export function floatOperand(kernel: string, operand: string, s: Storage, size: number): FloatArray {
  const st = cpuStorage(s, kernel, operand);
  expectDtype(kernel, operand, st.dtype, ['f32', 'f64']);
  expectSize(kernel, operand, st.size, size);
  return st.data as FloatArray;
}

/** An i32 index operand whose values must lie in [0, bound) (values equal to `allowed` pass too). */
export function indexOperand(kernel: string, operand: string, s: Storage, size: number, bound: number, allowed?: number): Int32Array {
  const st = cpuStorage(s, kernel, operand);
  expectDtype(kernel, operand, st.dtype, ['i32']);
  expectSize(kernel, operand, st.size, size);
  const ids = st.data as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if ((id! < 0 || id! >= bound) && id !== allowed) {
      throw new Error(`cpu.${kernel}: ${operand}[${i}] = ${id} is outside [0, ${bound})`);
    }
  }
  return ids;
}

// ---- the array pool ----
// A fresh typed array of a few hundred KiB costs a page fault per 4 KiB on its first write, more
// than a memory-bound kernel's own work (an f32 add of 168k elements: 0.3 ms fresh, 0.1 ms
// reused). The front end frees every storage exactly once, so freed arrays are kept by dtype and
// length and handed out again, zero-filled, to the next kernel output of that shape. Small
// arrays are cheap to allocate and are not kept; the pool holds at most POOL_LIMIT_BYTES.

const POOL_MIN_BYTES = 4096;
const POOL_LIMIT_BYTES = 256 * 1024 * 1024;
const pools: Record<DType, Map<number, AnyTypedArray[]>> = { f32: new Map(), f64: new Map(), i32: new Map(), bool: new Map() };
let pooledBytes = 0;

/** Pages that are not cross-origin isolated have no SharedArrayBuffer at all. */
const isShared = (buffer: ArrayBufferLike): boolean => typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;

/** Keeps a freed storage's array for reuse; nothing may read or write it afterwards. */
export function recycle(data: AnyTypedArray): void {
  if (data.byteLength < POOL_MIN_BYTES || pooledBytes + data.byteLength > POOL_LIMIT_BYTES) return;
  if (isShared(data.buffer) || data.byteOffset !== 0 || data.buffer.byteLength !== data.byteLength) return;
  const pool = pools[dtypeOfArray(data)];
  const free = pool.get(data.length);
  if (free) free.push(data);
  else pool.set(data.length, [data]);
  pooledBytes += data.byteLength;
}

/**
 * What a new array holds: zeros, or (`uninitialized`, for a kernel that writes every element) a
 * recycled array's stale values, which saves a pass over memory as large as the output.
 */
export type NewArrayContents = 'zeros' | 'uninitialized';

/** An array of `dtype` and `size`: a recycled one when the pool has it. */
export function newArray(dtype: DType, size: number, contents: NewArrayContents = 'zeros'): AnyTypedArray {
  const reused = pools[dtype].get(size)?.pop();
  if (!reused) return typedArrayFor(dtype, size);
  pooledBytes -= reused.byteLength;
  return contents === 'zeros' ? reused.fill(0) : reused;
}

/** A float array of the same kind as `like` (from the pool when it can). */
export function floatLike(like: FloatArray, size: number, contents: NewArrayContents = 'zeros'): FloatArray {
  return newArray(like instanceof Float32Array ? 'f32' : 'f64', size, contents) as FloatArray;
}
