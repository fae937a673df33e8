/**
 * Flag parsing shared by the `hrm` subcommands: Node's util.parseArgs in strict mode, with errors
 * that name the offending flag, and typed readers for numeric values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line; the CLI prints its message and the subcommand's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: FlagSpec, allowPositionals = false): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: values as ParsedFlags['values'], positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const v = flags.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredStringFlag(flags: ParsedFlags, name: string): string {
  const v = stringFlag(flags, name);
  if (v === undefined) throw new UsageError(`missing required flag --${name}`);
  return v;
}

export function boolFlag(flags: ParsedFlags, name: string): boolean {
  return flags.values[name] === true;
}

/** Parses a flag's value as a number; `integer` also rejects fractions. */
export function numberFlag(flags: ParsedFlags, name: string, kind: 'number' | 'integer' = 'number'): number | undefined {
  const raw = stringFlag(flags, name);
  return raw === undefined ? undefined : parseNumber(`--${name}`, raw, kind);
}

export function parseNumber(label: string, raw: string, kind: 'number' | 'integer'): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${label} expects a number, got '${raw}'`);
  if (kind === 'integer' && !Number.isInteger(v)) throw new UsageError(`${label} expects an integer, got '${raw}'`);
  return v;
}

export function oneOf<T extends string>(label: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`${label} must be one of ${allowed.join(', ')}; got '${raw}'`);
  }
  return raw as T;
}
