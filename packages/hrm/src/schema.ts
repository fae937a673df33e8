/**
 * A small typed schema for flat settings objects (the HRM configuration, the training
 * configuration, stored training state): one description per field that validates with hard
 * bounds, documents the field and gives the command line its flag. Errors name the source (a file,
 * a preset, the flags), the field, what was expected and what was found.
 *
 * Flags are the field names in kebab-case (`--hidden-size`, `--h-cycles`); the official snake_case
 * names (`--hidden_size`, `--H_cycles`) are accepted as aliases.
 */

interface FieldBase<T> {
  /** One line for `--help` and the docs. */
  doc: string;
  default?: T;
  /** May be absent (no default is filled in). */
  optional?: boolean;
}

export interface IntField extends FieldBase<number> {
  kind: 'int';
  min: number;
  max: number;
}

export interface NumberField extends FieldBase<number> {
  kind: 'number';
  min: number;
  max: number;
  /** The bounds themselves are excluded. */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

export interface EnumField<V extends string = string> extends FieldBase<V> {
  kind: 'enum';
  values: readonly V[];
}

export interface StringField extends FieldBase<string> {
  kind: 'string';
  pattern: RegExp;
  /** Says in words what the pattern accepts. */
  patternDoc: string;
}

export type Field = IntField | NumberField | EnumField | StringField;
export type Schema = Readonly<Record<string, Field>>;

type ValueOf<F> = F extends EnumField<infer V> ? V : F extends StringField ? string : number;
type OptionalKeys<S extends Schema> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type DefaultedKeys<S extends Schema> = { [K in keyof S]: S[K] extends { default: unknown } ? K : never }[keyof S];
type Shape<S extends Schema, Absent extends keyof S> = { -readonly [K in Exclude<keyof S, Absent>]: ValueOf<S[K]> } & {
  -readonly [K in Absent]?: ValueOf<S[K]>;
};
/** The object a schema describes once parsed: optional fields may be absent, every other one is present. */
export type Infer<S extends Schema> = Shape<S, OptionalKeys<S>>;
/** What a caller may pass: fields with a default may be left out too. */
export type InferInput<S extends Schema> = Shape<S, OptionalKeys<S> | DefaultedKeys<S>>;

export const int = <O extends Omit<IntField, 'kind' | 'doc'>>(doc: string, o: O) => ({ kind: 'int' as const, doc, ...o });
export const num = <O extends Omit<NumberField, 'kind' | 'doc'>>(doc: string, o: O) => ({ kind: 'number' as const, doc, ...o });
export const oneOf = <V extends string, O extends Omit<EnumField<V>, 'kind' | 'doc' | 'values'>>(doc: string, values: readonly V[], o: O) => ({
  kind: 'enum' as const,
  doc,
  values,
  ...o,
});
export const text = <O extends Omit<StringField, 'kind' | 'doc'>>(doc: string, o: O) => ({ kind: 'string' as const, doc, ...o });

/** A value as an error message shows it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'number') return String(value);
  const json = JSON.stringify(value);
  return json === undefined ? typeof value : json.length > 80 ? `${json.slice(0, 80)}...` : json;
}

const range = (f: NumberField) => `${f.minExclusive ? '(' : '['}${f.min}, ${f.max}${f.maxExclusive ? ')' : ']'}`;

/** What a field accepts, in words ("an integer in [1, 64]"). */
export function expected(f: Field): string {
  switch (f.kind) {
    case 'int':
      return `an integer in [${f.min}, ${f.max}]`;
    case 'number':
      // Fields bounded only by finiteness say so rather than print the largest double.
      return f.max === Number.MAX_VALUE ? `a finite number >= ${f.min}` : `a number in ${range(f)}`;
    case 'enum':
      return `one of ${f.values.map((v) => `"${v}"`).join(', ')}`;
    case 'string':
      return `a string of ${f.patternDoc}`;
  }
}

function accepts(f: Field, v: unknown): boolean {
  switch (f.kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= f.min && v <= f.max;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && (f.minExclusive ? v > f.min : v >= f.min) && (f.maxExclusive ? v < f.max : v <= f.max);
    case 'enum':
      return typeof v === 'string' && (f.values as readonly string[]).includes(v);
    case 'string':
      return typeof v === 'string' && f.pattern.test(v);
  }
}

/** An error in a settings object; `source` and `field` say where. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Checks one field's value; throws naming the source, the field, what it expects and what it found. */
export function checkField(f: Field, name: string, value: unknown, source: string): void {
  if (!accepts(f, value)) throw new SettingsError(`${source}: field "${name}" must be ${expected(f)}, found ${describeValue(value)}.`);
}

export interface ParseOptions {
  /** Keys to accept and drop (fields official files carry that this project does not use). */
  ignore?: readonly string[];
}

/**
 * Validates `obj` against `schema`: every present field in bounds, required fields present,
 * defaults filled in, unknown fields refused. Returns a new object with the schema's fields only.
 */
export function parseSettings<S extends Schema>(schema: S, obj: unknown, source: string, opts: ParseOptions = {}): Infer<S> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new SettingsError(`${source}: expected an object of settings, found ${describeValue(obj)}.`);
  }
  const input = obj as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !Object.hasOwn(schema, k) && !opts.ignore?.includes(k));
  if (unknown.length > 0) {
    throw new SettingsError(`${source}: unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; known fields: ${Object.keys(schema).join(', ')}.`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const value = input[name] ?? f.default;
    if (value === undefined) {
      if (f.optional) continue;
      throw new SettingsError(`${source}: field "${name}" is required (${expected(f)}), found nothing.`);
    }
    checkField(f, name, value, source);
    out[name] = value;
  }
  return out as Infer<S>;
}

/** The flag of a field: its name in lower kebab-case. */
export const flagName = (field: string): string => field.toLowerCase().replace(/_/g, '-');

/** The official snake_case spelling, accepted as an alias when it differs from the flag. */
export const flagAlias = (field: string): string | undefined => (flagName(field) === field ? undefined : field);

/** parseArgs options for every field of `schemas`: the kebab-case flag and its snake_case alias, string-valued. */
export function schemaFlagOptions(...schemas: Schema[]): Record<string, { type: 'string' }> {
  const options: Record<string, { type: 'string' }> = {};
  for (const schema of schemas) {
    for (const field of Object.keys(schema)) {
      options[flagName(field)] = { type: 'string' };
      const alias = flagAlias(field);
      if (alias) options[alias] = { type: 'string' };
    }
  }
  return options;
}

/** `--help` lines for a schema's fields: flag, alias, what it accepts, default and doc. */
export function schemaUsage(schema: Schema, skip: readonly string[] = []): string[] {
  return Object.entries(schema)
    .filter(([name]) => !skip.includes(name))
    .map(([name, f]) => {
      const alias = flagAlias(name);
      const head = `  --${flagName(name)}${alias ? ` (--${alias})` : ''}`;
      const dflt = f.default !== undefined ? `; default ${f.default}` : '';
      return `${head.padEnd(34)} ${f.doc} (${expected(f)}${dflt})`;
    });
}

/**
 * The fields of `schema` given on the command line (`values` from parseArgs), converted from
 * text: numbers for numeric fields, strings otherwise. A flag given under both spellings, or a
 * value that is not a number where one is meant or lies outside the field's bounds, is an error
 * naming the flag.
 */
export function schemaFlagValues(schema: Schema, values: Readonly<Record<string, unknown>>, fail: (message: string) => Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema)) {
    const flag = flagName(name);
    const alias = flagAlias(name);
    const given = [flag, alias].filter((k): k is string => k !== undefined && typeof values[k] === 'string');
    if (given.length === 0) continue;
    if (given.length > 1) throw fail(`--${flag} and --${alias} are the same setting; give it once`);
    const raw = values[given[0]!] as string;
    if (f.kind === 'int' || f.kind === 'number') {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw fail(`--${given[0]} expects a number, got '${raw}'`);
      if (f.kind === 'int' && !Number.isInteger(v)) throw fail(`--${given[0]} expects an integer, got '${raw}'`);
      out[name] = v;
    } else {
      out[name] = raw;
    }
    if (!accepts(f, out[name])) throw fail(`--${given[0]} must be ${expected(f)}, got '${raw}'`);
  }
  return out;
}
