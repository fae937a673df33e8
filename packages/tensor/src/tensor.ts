/**
 * The Tensor: a shape and a dtype over a reference-counted, contiguous storage owned by one
 * backend, plus the autodiff record of the op that produced it. Views that keep the element order
 * (reshape, detach) share storage; everything else materialises a new storage through a kernel.
 * Chainable op methods are attached in methods.ts to keep this file about identity and lifetime.
 */
import { type AnyTypedArray, type Backend, type DType, DTYPE_BYTES, type Storage } from './backend.js';
import { release, track, untrack } from './runtime.js';
import { shapeSize } from './shape.js';

/** Shared storage with a reference count; freed on the backend when the count reaches zero. */
export class StorageRef {
  private refs = 1;
  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
  ) {}
  retain(): this {
    this.refs++;
    return this;
  }
  releaseRef(): void {
    if (--this.refs === 0) this.backend.free(this.storage);
  }
}

/** How a tensor was made, for reverse-mode autodiff (typed per op in tape.ts). */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** What the op's gradient rule needs besides the inputs and the output. */
  readonly saved: unknown;
}

export type NestedArray = number | NestedArray[];

let nextId = 0;

export class Tensor {
  /** Marks tensors for duck-typed detection across module copies. */
  readonly __tensor = true as const;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** Accumulated gradient of a leaf after backward(); owned by this tensor. */
  grad: Tensor | null = null;
  /** Set by the op that made this tensor when gradients are recorded; cleared after backward. */
  gradNode: GradNode | null = null;
  /** Set when this tensor's gradNode was dropped before a backward() could use it: by dispose(), or by a backward() that consumed it. */
  graphFreedBy: 'dispose' | 'backward' | null = null;
  private _requiresGrad = false;
  private ref: StorageRef | null;
  private kept = false;

  constructor(ref: StorageRef, shape: readonly number[], dtype: DType = ref.storage.dtype) {
    const size = shapeSize(shape);
    if (size !== ref.storage.size) {
      throw new Error(`Tensor: shape [${shape.join(', ')}] has ${size} elements but its storage has ${ref.storage.size}.`);
    }
    this.ref = ref;
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]); // tensors share frozen shapes
    this.dtype = dtype;
    this.size = size;
    track(this, size * DTYPE_BYTES[dtype]);
  }

  get rank(): number {
    return this.shape.length;
  }

  get backend(): Backend {
    return this.storageRef.backend;
  }

  /** The storage handle, for ops and backends. Throws if the tensor was disposed. */
  get storage(): Storage {
    return this.storageRef.storage;
  }

  get storageRef(): StorageRef {
    if (!this.ref) throw new Error(`Tensor #${this.id} [${this.shape.join(', ')}] was used after dispose().`);
    return this.ref;
  }

  get isDisposed(): boolean {
    return this.ref === null;
  }

  get isKept(): boolean {
    return this.kept;
  }

  /** True for leaves the user marked and for results of ops on such tensors. */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (this.gradNode && !value) throw new Error('requiresGrad: cannot turn off gradients of a non-leaf tensor; use detach().');
    if (value && this.dtype !== 'f32' && this.dtype !== 'f64') {
      throw new Error(`requiresGrad: only floating tensors can require gradients (this one is ${this.dtype}).`);
    }
    this._requiresGrad = value;
  }

  get isLeaf(): boolean {
    return this.gradNode === null;
  }

  /** Frees this tensor's reference to its storage (and its gradient). Idempotent. */
  dispose(): void {
    if (!this.ref) return;
    this.ref.releaseRef();
    this.ref = null;
    if (this.gradNode) this.graphFreedBy = 'dispose';
    this.gradNode = null;
    untrack(this, this.size * DTYPE_BYTES[this.dtype]);
    this.grad?.dispose();
    this.grad = null;
  }

  /** Exempts this tensor from every tidy() scope; dispose() it yourself. */
  keep(): this {
    this.kept = true;
    release(this);
    return this;
  }

  /** A tensor sharing this storage with no autodiff history. */
  detach(): Tensor {
    return new Tensor(this.storageRef.retain(), this.shape, this.dtype);
  }

  /** Copies other's values into this tensor's storage (same shape and dtype); returns this. */
  assign(other: Tensor): this {
    if (other.dtype !== this.dtype || other.shape.length !== this.shape.length || other.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`assign: expected ${this.dtype} [${this.shape.join(', ')}], found ${other.dtype} [${other.shape.join(', ')}].`);
    }
    if (other.backend !== this.backend) throw new Error('assign: tensors live on different backends.');
    this.backend.copyRegion(other.storage, this.storage, 1, this.size, this.size, 0);
    return this;
  }

  /** Asynchronous readback as a fresh typed array (bool as Uint8Array of 0/1). */
  async data(): Promise<AnyTypedArray> {
    return this.backend.read(this.storage);
  }

  /** Asynchronous readback as nested arrays following the shape. */
  async toArray(): Promise<NestedArray> {
    const flat = Array.from(await this.data());
    return nest(flat, this.shape, 0).value;
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): expected a tensor with one element, found shape [${this.shape.join(', ')}].`);
    return (await this.data())[0]!;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

function nest(flat: number[], shape: readonly number[], start: number): { value: NestedArray; next: number } {
  if (shape.length === 0) return { value: flat[start]!, next: start + 1 };
  const out: NestedArray[] = [];
  let pos = start;
  for (let i = 0; i < shape[0]!; i++) {
    const r = nest(flat, shape.slice(1), pos);
    out.push(r.value);
    pos = r.next;
  }
  return { value: out, next: pos };
}
