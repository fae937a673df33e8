/**
 * A restricted unpickler (browser-safe): reads the subset of Python's pickle format that a
 * `torch.save`d state dict uses, and nothing else. It never imports or runs anything: a GLOBAL
 * opcode yields a value only when the caller's `resolveGlobal` allows that exact module and name
 * (otherwise loading stops with an error naming it), REDUCE and BUILD apply only those values, and
 * every opcode outside the list below is refused by name. The model is PyTorch's own
 * weights-only unpickler.
 *
 * Python values map to: int -> number (bigint past 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, None -> null, bool -> boolean, list -> array, tuple -> frozen array,
 * dict -> Map.
 */

export class PickleError extends Error {
  override name = 'PickleError';
}

/** A callable the caller allowed: REDUCE calls `call`, BUILD on its results calls `build`. */
export interface PickleCallable {
  readonly qualifiedName: string;
  call(args: readonly unknown[]): unknown;
}

/** An object that accepts BUILD (setting its state), as OrderedDict accepts its `_metadata`. */
export interface PickleBuildable {
  pickleBuild(state: unknown): void;
}

export interface UnpickleOptions {
  /** Named in every error. */
  source: string;
  /** The value of an allowed global, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): PickleCallable | undefined;
  /** persistent_load: the object a persistent id stands for (torch uses it for storages). */
  persistentLoad?(pid: unknown): unknown;
}

/** Opcode names, for messages about opcodes this reader refuses as well as the ones it reads. */
const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

const isCallable = (x: unknown): x is PickleCallable =>
  typeof x === 'object' && x !== null && typeof (x as PickleCallable).call === 'function' && typeof (x as PickleCallable).qualifiedName === 'string';
const isBuildable = (x: unknown): x is PickleBuildable => typeof x === 'object' && x !== null && typeof (x as PickleBuildable).pickleBuild === 'function';

export function describePickleValue(x: unknown): string {
  if (x === null) return 'None';
  if (Array.isArray(x)) return Object.isFrozen(x) ? `a tuple of ${x.length}` : `a list of ${x.length}`;
  if (x instanceof Map) return `a dict of ${x.size}`;
  if (x instanceof Uint8Array) return `bytes of length ${x.length}`;
  if (isCallable(x)) return x.qualifiedName;
  if (typeof x === 'object') return 'an object';
  const text = JSON.stringify(typeof x === 'bigint' ? String(x) : x) ?? String(x);
  return `${typeof x} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/**
 * Unpickles the pickle at the start of `bytes`; `end` is the offset just past its STOP opcode
 * (formats that write several pickles in a row continue from there).
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): { value: unknown; end: number } {
  const unpickler = new Unpickler(bytes, options);
  const value = unpickler.run();
  return { value, end: unpickler.position };
}

class Unpickler {
  private pos = 0;
  get position(): number {
    return this.pos;
  }
  private stack: unknown[] = [];
  private marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private fail(message: string, at = this.pos): never {
    throw new PickleError(`${this.options.source}: ${message} (pickle byte ${at})`);
  }

  private need(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.bytes.length) {
      this.fail(`truncated: ${n} more bytes needed, ${this.bytes.length - this.pos} left`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private u8 = () => this.bytes[this.need(1)]!;
  private u16 = () => this.view.getUint16(this.need(2), true);
  private u32 = () => this.view.getUint32(this.need(4), true);
  private i32 = () => this.view.getInt32(this.need(4), true);
  private u64(): number {
    const at = this.need(8);
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${value} is implausible`, at);
    return Number(value);
  }
  private take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  private text(n: number, decoder = utf8): string {
    const at = this.pos;
    const raw = this.take(n);
    try {
      return decoder.decode(raw);
    } catch {
      return this.fail('a string is not valid UTF-8', at);
    }
  }
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('truncated: a newline-terminated name has no newline');
    const s = this.text(end - this.pos, latin1);
    this.pos = end + 1;
    return s;
  }

  private push(x: unknown) {
    this.stack.push(x);
  }
  private pop(what: string): unknown {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) this.fail(`stack underflow: ${what} needs a value`);
    return this.stack.pop();
  }
  private top(what: string): unknown {
    if (this.stack.length === 0) this.fail(`stack underflow: ${what} needs a value`);
    return this.stack[this.stack.length - 1];
  }
  private popMark(what: string): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail(`${what} without a MARK`);
    return this.stack.splice(mark);
  }
  private memoize(index: number) {
    this.memo.set(index, this.top('PUT'));
  }
  private get(index: number): void {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} read before it was written`);
    this.push(this.memo.get(index));
  }

  private global(module: string, name: string) {
    const value = this.options.resolveGlobal(module, name);
    if (value === undefined) {
      this.fail(
        `refused global ${module}.${name}: loading a checkpoint never imports or runs code; only the classes and functions a tensor state dict needs are accepted`,
      );
    }
    this.push(value);
  }

  private list(what: string): unknown[] {
    const target = this.top(what);
    if (!Array.isArray(target) || Object.isFrozen(target)) this.fail(`${what} on ${describePickleValue(target)}, expected a list`);
    return target;
  }
  private dict(what: string): Map<unknown, unknown> {
    const target = this.top(what);
    if (!(target instanceof Map)) this.fail(`${what} on ${describePickleValue(target)}, expected a dict`);
    return target;
  }
  private setItems(target: Map<unknown, unknown>, items: unknown[], what: string) {
    if (items.length % 2 !== 0) this.fail(`${what} with an odd number of items`);
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  }

  run(): unknown {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) this.fail('pickle protocol above 5', at);
          break;
        case 0x95: // FRAME: framing only groups bytes; the length is informational here
          this.u64();
          break;
        case 0x2e: // STOP
          if (this.stack.length !== 1 || this.marks.length > 0) this.fail(`STOP with ${this.stack.length} values on the stack`, at);
          return this.stack[0];
        case 0x28: // MARK
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          this.pop('POP');
          break;
        case 0x31: // POP_MARK
          this.popMark('POP_MARK');
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x47: // BINFLOAT (big-endian)
          this.push(this.view.getFloat64(this.need(8), false));
          break;
        case 0x58: // BINUNICODE
          this.push(this.text(this.u32()));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.text(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.text(this.u64()));
          break;
        case 0x55: // SHORT_BINSTRING (Python 2 str)
          this.push(this.text(this.u8(), latin1));
          break;
        case 0x54: // BINSTRING
          this.push(this.text(this.i32(), latin1));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8()).slice());
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.u32()).slice());
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(Object.freeze([]));
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const n = op - 0x84;
          const items = Array.from({ length: n }, () => this.pop(OPCODE_NAMES[op]!)).reverse();
          this.push(Object.freeze(items));
          break;
        }
        case 0x74: // TUPLE
          this.push(Object.freeze(this.popMark('TUPLE')));
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: // LIST
          this.push(this.popMark('LIST'));
          break;
        case 0x61: {
          // APPEND
          const item = this.pop('APPEND');
          this.list('APPEND').push(item);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark('APPENDS');
          const list = this.list('APPENDS');
          for (const item of items) list.push(item);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x64: {
          // DICT
          const map = new Map();
          this.setItems(map, this.popMark('DICT'), 'DICT');
          this.push(map);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop('SETITEM');
          const key = this.pop('SETITEM');
          this.dict('SETITEM').set(key, value);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark('SETITEMS');
          this.setItems(this.dict('SETITEMS'), items, 'SETITEMS');
          break;
        }
        case 0x71: // BINPUT
          this.memoize(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.memoize(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.memoize(this.memo.size);
          break;
        case 0x68: // BINGET
          this.get(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.get(this.u32());
          break;
        case 0x63: {
          // GLOBAL: "module\nname\n"
          const module = this.line();
          this.global(module, this.line());
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop('STACK_GLOBAL');
          const module = this.pop('STACK_GLOBAL');
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings', at);
          this.global(module, name);
          break;
        }
        case 0x52: {
          // REDUCE: callable(*args), only for the callables resolveGlobal allowed
          const args = this.pop('REDUCE');
          const callable = this.pop('REDUCE');
          if (!isCallable(callable)) this.fail(`REDUCE on ${describePickleValue(callable)}, which is not an allowed callable`, at);
          if (!Array.isArray(args) || !Object.isFrozen(args))
            this.fail(`REDUCE arguments for ${callable.qualifiedName} must be a tuple, found ${describePickleValue(args)}`, at);
          this.push(this.apply(callable, args, at));
          break;
        }
        case 0x62: {
          // BUILD: sets an object's state, only on objects that accept it
          const state = this.pop('BUILD');
          const target = this.top('BUILD');
          if (!isBuildable(target)) this.fail(`BUILD on ${describePickleValue(target)}, which accepts no state`, at);
          this.guarded('BUILD', () => target.pickleBuild(state), at);
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.pop('BINPERSID');
          if (!this.options.persistentLoad) this.fail('a persistent id, which this file type does not use', at);
          const load = this.options.persistentLoad;
          this.push(this.guarded('persistent id', () => load(pid), at));
          break;
        }
        default: {
          const name = OPCODE_NAMES[op];
          this.fail(
            name === undefined
              ? `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')}`
              : `refused pickle opcode ${name} (0x${op.toString(16)}): a tensor state dict never needs it`,
            at,
          );
        }
      }
    }
  }

  /** Two's-complement little-endian integer of n bytes. */
  private long(n: number): number | bigint {
    const b = this.take(n);
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private apply(callable: PickleCallable, args: readonly unknown[], at: number): unknown {
    return this.guarded(callable.qualifiedName, () => callable.call(args), at);
  }

  /** Runs a caller hook, reporting its errors as PickleErrors that name the source and position. */
  private guarded<T>(what: string, hook: () => T, at: number): T {
    try {
      return hook();
    } catch (e) {
      if (e instanceof PickleError) throw e;
      return this.fail(`${what}: ${(e as Error).message}`, at);
    }
  }
}
