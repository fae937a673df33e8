/**
 * A small typed emitter of WebAssembly bytecode: the CPU backend writes its SIMD kernels in
 * TypeScript with it and compiles them at run time (no toolchain, no committed binaries).
 *
 * A `ModuleBuilder` holds function types, an imported memory (optionally shared, for threads) and
 * functions; `build()` returns the module's bytes. Each function body is written through a
 * `FunctionBuilder`: typed locals, one method per instruction grouped by value type
 * (`f.i32.add()`, `f.f32x4.mul()`, `f.v128.load(offset)`), and structured control whose branch
 * targets are label objects rather than hand-counted depths. It covers the instructions our
 * kernels use (the scalar i32/f32/f64 core and the SIMD f32x4/i32x4 subset), not all of wasm;
 * add opcodes beside their peers when a kernel needs more.
 */

export type ValueType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALUE_TYPE_CODE: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** A local (parameters included) of a known value type. */
export interface Local<T extends ValueType = ValueType> {
  readonly index: number;
  readonly type: T;
}

/** A branch target: the block, loop or if that a `br` names. */
export interface Label {
  readonly depth: number;
  readonly kind: 'block' | 'loop' | 'if';
}

export interface FunctionSignature<P extends readonly ValueType[]> {
  params: P;
  results?: readonly ValueType[];
}

/** Memory limits in 64 KiB pages; a shared memory needs a maximum. */
export interface MemoryLimits {
  initial: number;
  maximum?: number;
  shared?: boolean;
}

type LocalsOf<P extends readonly ValueType[]> = { [I in keyof P]: Local<P[I]> };

// ---------------------------------------------------------------------------------------------
// Encoding

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`wasm emitter: ${value} is not an unsigned 32-bit integer`);
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error(`wasm emitter: ${value} is not a signed 32-bit integer`);
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];
const name = (s: string): number[] => [...uleb(utf8(s).length), ...utf8(s)];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

// ---------------------------------------------------------------------------------------------
// Function bodies

/** Alignment (log2 of bytes) and constant offset of a memory access. */
function memarg(naturalAlignLog2: number, offset: number, alignLog2 = naturalAlignLog2): number[] {
  return [...uleb(alignLog2), ...uleb(offset)];
}

/**
 * Writes one function body. Instructions are appended in call order; structured control takes a
 * callback for its body and hands it the label that `br`/`brIf` accept.
 */
export class FunctionBuilder<P extends readonly ValueType[] = readonly ValueType[]> {
  /** The parameters as typed locals. */
  readonly params: LocalsOf<P>;
  private readonly code: number[] = [];
  private readonly extraLocals: ValueType[] = [];
  private readonly control: Label['kind'][] = [];

  constructor(readonly signature: FunctionSignature<P>) {
    this.params = signature.params.map((type, index) => ({ index, type })) as unknown as LocalsOf<P>;
  }

  /** A new local of `type` (zero-initialised, as wasm locals are). */
  local<T extends ValueType>(type: T): Local<T> {
    this.extraLocals.push(type);
    return { index: this.signature.params.length + this.extraLocals.length - 1, type };
  }

  /** Raw bytes (for an instruction this builder does not name yet). */
  emit(...bytes: number[]): FunctionBuilder<P> {
    for (const b of bytes) this.code.push(b);
    return this;
  }

  get(local: Local): FunctionBuilder<P> {
    return this.emit(0x20, ...uleb(local.index));
  }
  set(local: Local): FunctionBuilder<P> {
    return this.emit(0x21, ...uleb(local.index));
  }
  tee(local: Local): FunctionBuilder<P> {
    return this.emit(0x22, ...uleb(local.index));
  }
  drop(): FunctionBuilder<P> {
    return this.emit(0x1a);
  }
  select(): FunctionBuilder<P> {
    return this.emit(0x1b);
  }
  return(): FunctionBuilder<P> {
    return this.emit(0x0f);
  }
  call(funcIndex: number): FunctionBuilder<P> {
    return this.emit(0x10, ...uleb(funcIndex));
  }

  private structured(opcode: number, kind: Label['kind'], body: (label: Label) => void, result?: ValueType): void {
    this.emit(opcode, result ? VALUE_TYPE_CODE[result] : 0x40);
    this.control.push(kind);
    body({ depth: this.control.length, kind });
    this.control.pop();
    this.emit(0x0b);
  }

  /** `block ... end`: a branch to its label jumps past the end. */
  block(body: (label: Label) => void, result?: ValueType): FunctionBuilder<P> {
    this.structured(0x02, 'block', body, result);
    return this;
  }
  /** `loop ... end`: a branch to its label jumps back to the start. */
  loop(body: (label: Label) => void, result?: ValueType): FunctionBuilder<P> {
    this.structured(0x03, 'loop', body, result);
    return this;
  }
  /** `if ... else ... end` on the i32 on the stack. */
  if(then: (label: Label) => void, otherwise?: (label: Label) => void, result?: ValueType): FunctionBuilder<P> {
    this.structured(
      0x04,
      'if',
      (label) => {
        then(label);
        if (otherwise) {
          this.emit(0x05);
          otherwise(label);
        }
      },
      result,
    );
    return this;
  }

  private depthOf(label: Label): number {
    const relative = this.control.length - label.depth;
    if (relative < 0 || this.control[label.depth - 1] !== label.kind) throw new Error('wasm emitter: branch to a label that is not open here');
    return relative;
  }
  br(label: Label): FunctionBuilder<P> {
    return this.emit(0x0c, ...uleb(this.depthOf(label)));
  }
  brIf(label: Label): FunctionBuilder<P> {
    return this.emit(0x0d, ...uleb(this.depthOf(label)));
  }

  /**
   * `for (counter = start; counter < end; counter += step) body()` over i32 values, with the test
   * at the top (no iteration when start >= end). `start` and `end` push one i32 each; `end` is
   * evaluated before every iteration.
   */
  forRange(counter: Local<'i32'>, start: () => void, end: () => void, step: number, body: () => void): FunctionBuilder<P> {
    start();
    this.set(counter);
    return this.block((exit) => {
      this.loop((again) => {
        this.get(counter);
        end();
        this.i32.ge_s().brIf(exit);
        body();
        this.get(counter).i32.const(step).i32.add().set(counter);
        this.br(again);
      });
    });
  }

  // Scalar instructions -------------------------------------------------------------------------
  readonly i32 = {
    const: (v: number) => this.emit(0x41, ...sleb(v | 0)),
    load: (offset = 0) => this.emit(0x28, ...memarg(2, offset)),
    store: (offset = 0) => this.emit(0x36, ...memarg(2, offset)),
    eqz: () => this.emit(0x45),
    eq: () => this.emit(0x46),
    ne: () => this.emit(0x47),
    lt_s: () => this.emit(0x48),
    lt_u: () => this.emit(0x49),
    gt_s: () => this.emit(0x4a),
    gt_u: () => this.emit(0x4b),
    le_s: () => this.emit(0x4c),
    le_u: () => this.emit(0x4d),
    ge_s: () => this.emit(0x4e),
    ge_u: () => this.emit(0x4f),
    add: () => this.emit(0x6a),
    sub: () => this.emit(0x6b),
    mul: () => this.emit(0x6c),
    div_s: () => this.emit(0x6d),
    div_u: () => this.emit(0x6e),
    rem_s: () => this.emit(0x6f),
    rem_u: () => this.emit(0x70),
    and: () => this.emit(0x71),
    or: () => this.emit(0x72),
    xor: () => this.emit(0x73),
    shl: () => this.emit(0x74),
    shr_s: () => this.emit(0x75),
    shr_u: () => this.emit(0x76),
    trunc_f32_s: () => this.emit(0xa8),
    trunc_f64_s: () => this.emit(0xaa),
  };

  readonly f32 = {
    const: (v: number) => this.emit(0x43, ...new Uint8Array(new Float32Array([v]).buffer)),
    load: (offset = 0) => this.emit(0x2a, ...memarg(2, offset)),
    store: (offset = 0) => this.emit(0x38, ...memarg(2, offset)),
    eq: () => this.emit(0x5b),
    ne: () => this.emit(0x5c),
    lt: () => this.emit(0x5d),
    gt: () => this.emit(0x5e),
    le: () => this.emit(0x5f),
    ge: () => this.emit(0x60),
    abs: () => this.emit(0x8b),
    neg: () => this.emit(0x8c),
    sqrt: () => this.emit(0x91),
    add: () => this.emit(0x92),
    sub: () => this.emit(0x93),
    mul: () => this.emit(0x94),
    div: () => this.emit(0x95),
    min: () => this.emit(0x96),
    max: () => this.emit(0x97),
    convert_i32_s: () => this.emit(0xb2),
    demote_f64: () => this.emit(0xb6),
  };

  readonly f64 = {
    const: (v: number) => this.emit(0x44, ...new Uint8Array(new Float64Array([v]).buffer)),
    load: (offset = 0) => this.emit(0x2b, ...memarg(3, offset)),
    store: (offset = 0) => this.emit(0x39, ...memarg(3, offset)),
    lt: () => this.emit(0x63),
    gt: () => this.emit(0x64),
    add: () => this.emit(0xa0),
    sub: () => this.emit(0xa1),
    mul: () => this.emit(0xa2),
    div: () => this.emit(0xa3),
    convert_i32_s: () => this.emit(0xb7),
    promote_f32: () => this.emit(0xbb),
  };

  // SIMD instructions (0xFD prefix) ---------------------------------------------------------------
  private simd(opcode: number, ...immediates: number[]): FunctionBuilder<P> {
    return this.emit(0xfd, ...uleb(opcode), ...immediates);
  }

  readonly v128 = {
    /** Loads 16 bytes; `alignLog2` below 4 states a weaker alignment guarantee (a hint only). */
    load: (offset = 0, alignLog2 = 4) => this.simd(0x00, ...memarg(4, offset, alignLog2)),
    store: (offset = 0, alignLog2 = 4) => this.simd(0x0b, ...memarg(4, offset, alignLog2)),
    /** Loads one 32-bit value into all four lanes. */
    load32_splat: (offset = 0) => this.simd(0x09, ...memarg(2, offset)),
    /** Loads one 32-bit value into lane 0, zeroes the others. */
    load32_zero: (offset = 0) => this.simd(0x5c, ...memarg(2, offset)),
    const: (bytes: ArrayLike<number>) => {
      if (bytes.length !== 16) throw new Error(`wasm emitter: v128.const takes 16 bytes, found ${bytes.length}`);
      return this.simd(0x0c, ...Array.from(bytes));
    },
    not: () => this.simd(0x4d),
    and: () => this.simd(0x4e),
    andnot: () => this.simd(0x4f),
    or: () => this.simd(0x50),
    xor: () => this.simd(0x51),
    bitselect: () => this.simd(0x52),
    any_true: () => this.simd(0x53),
  };

  readonly f32x4 = {
    splat: () => this.simd(0x13),
    extract_lane: (lane: number) => this.simd(0x1f, lane),
    replace_lane: (lane: number) => this.simd(0x20, lane),
    eq: () => this.simd(0x41),
    lt: () => this.simd(0x43),
    gt: () => this.simd(0x44),
    abs: () => this.simd(0xe0),
    neg: () => this.simd(0xe1),
    sqrt: () => this.simd(0xe3),
    add: () => this.simd(0xe4),
    sub: () => this.simd(0xe5),
    mul: () => this.simd(0xe6),
    div: () => this.simd(0xe7),
    min: () => this.simd(0xe8),
    max: () => this.simd(0xe9),
    /** Pseudo-minimum b < a ? b : a (one x86 minps; min/max propagate NaN at several instructions' cost). */
    pmin: () => this.simd(0xea),
    /** Pseudo-maximum a < b ? b : a. */
    pmax: () => this.simd(0xeb),
    convert_i32x4_s: () => this.simd(0xfa),
    /** Relaxed SIMD: a*b + c, fused or not as the hardware prefers (check `relaxedSimdSupported`). */
    relaxed_madd: () => this.simd(0x105),
  };

  readonly i32x4 = {
    splat: () => this.simd(0x11),
    extract_lane: (lane: number) => this.simd(0x1b, lane),
    replace_lane: (lane: number) => this.simd(0x1c, lane),
    eq: () => this.simd(0x37),
    add: () => this.simd(0xae),
    sub: () => this.simd(0xb1),
    mul: () => this.simd(0xb5),
    shl: () => this.simd(0xab),
    shr_s: () => this.simd(0xac),
    trunc_sat_f32x4_s: () => this.simd(0xf8),
  };

  /** The body as the code section encodes it (locals, instructions, end). */
  encode(): number[] {
    if (this.control.length !== 0) throw new Error('wasm emitter: function body ends inside an open block');
    const groups: number[][] = [];
    for (let i = 0; i < this.extraLocals.length; ) {
      let j = i;
      while (j < this.extraLocals.length && this.extraLocals[j] === this.extraLocals[i]) j++;
      groups.push([...uleb(j - i), VALUE_TYPE_CODE[this.extraLocals[i]!]]);
      i = j;
    }
    const body = [...vector(groups), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

// ---------------------------------------------------------------------------------------------
// Modules

interface FunctionEntry {
  typeIndex: number;
  builder: FunctionBuilder;
  exportName?: string;
}

/** Builds a module: at most one imported memory, functions (exported by name when given one). */
export class ModuleBuilder {
  private readonly types: number[][] = [];
  private readonly functions: FunctionEntry[] = [];
  private memory: { module: string; field: string; limits: MemoryLimits } | null = null;

  /** Imports the module's memory as `module.field` (an instance is given a `WebAssembly.Memory` there). */
  importMemory(module: string, field: string, limits: MemoryLimits): ModuleBuilder {
    if (limits.shared && limits.maximum === undefined) throw new Error('wasm emitter: a shared memory needs a maximum size');
    this.memory = { module, field, limits };
    return this;
  }

  /**
   * Adds a function and writes its body with `body`; returns its index (for `call`). With
   * `exportName` it is exported under that name.
   */
  addFunction<const P extends readonly ValueType[]>(signature: FunctionSignature<P>, body: (f: FunctionBuilder<P>) => void, exportName?: string): number {
    const builder = new FunctionBuilder(signature);
    body(builder);
    this.functions.push({ typeIndex: this.typeIndex(signature), builder: builder as unknown as FunctionBuilder, exportName });
    return this.functions.length - 1;
  }

  private typeIndex(signature: FunctionSignature<readonly ValueType[]>): number {
    const types = (list: readonly ValueType[]) => vector(list.map((t) => [VALUE_TYPE_CODE[t]]));
    const encoded = [0x60, ...types(signature.params), ...types(signature.results ?? [])];
    const found = this.types.findIndex((t) => t.length === encoded.length && t.every((b, i) => b === encoded[i]));
    if (found >= 0) return found;
    this.types.push(encoded);
    return this.types.length - 1;
  }

  build(): Uint8Array<ArrayBuffer> {
    const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    bytes.push(...section(1, vector(this.types)));
    if (this.memory) {
      const { initial, maximum, shared } = this.memory.limits;
      const flags = (maximum !== undefined ? 1 : 0) | (shared ? 2 : 0);
      const limits = [flags, ...uleb(initial), ...(maximum !== undefined ? uleb(maximum) : [])];
      bytes.push(...section(2, vector([[...name(this.memory.module), ...name(this.memory.field), 0x02, ...limits]])));
    }
    bytes.push(...section(3, vector(this.functions.map((f) => uleb(f.typeIndex)))));
    const exports = this.functions.flatMap((f, i) => (f.exportName === undefined ? [] : [[...name(f.exportName), 0x00, ...uleb(i)]]));
    bytes.push(...section(7, vector(exports)));
    bytes.push(...section(10, vector(this.functions.map((f) => f.builder.encode()))));
    return new Uint8Array(bytes);
  }
}
