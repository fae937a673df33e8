import { describe, expect, it } from 'vitest';
import { flagAlias, flagName, int, num, oneOf, parseSettings, schemaFlagOptions, schemaFlagValues, schemaUsage, text } from './schema.js';

const schema = {
  H_cycles: int('cycles', { min: 1, max: 64 }),
  lr: num('learning rate', { min: 0, max: Number.MAX_VALUE, default: 0.1 }),
  beta: num('decay', { min: 0, max: 1, maxExclusive: true, optional: true }),
  mode: oneOf<'a' | 'b', { default: 'a' }>('mode', ['a', 'b'], { default: 'a' }),
  name: text('name', { pattern: /^[a-z]{1,8}$/, patternDoc: '1-8 lower-case letters', optional: true }),
} as const;

describe('settings schema', () => {
  it('fills defaults, keeps optional fields absent and refuses unknown ones', () => {
    expect(parseSettings(schema, { H_cycles: 2 }, 'f.json')).toEqual({ H_cycles: 2, lr: 0.1, mode: 'a' });
    expect(() => parseSettings(schema, { H_cycles: 2, h_cycles: 3 }, 'f.json')).toThrow(
      'f.json: unknown field(s) "h_cycles"; known fields: H_cycles, lr, beta, mode, name.',
    );
    expect(() => parseSettings(schema, {}, 'f.json')).toThrow('f.json: field "H_cycles" is required (an integer in [1, 64]), found nothing.');
    expect(() => parseSettings(schema, null, 'f.json')).toThrow('f.json: expected an object of settings, found null.');
  });

  it('names the source, the field, what it expects and what it found', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ H_cycles: 1e9 }, 'field "H_cycles" must be an integer in [1, 64], found 1000000000.'],
      [{ H_cycles: '2' }, 'field "H_cycles" must be an integer in [1, 64], found "2".'],
      [{ H_cycles: 2, lr: Infinity }, 'field "lr" must be a finite number >= 0, found Infinity.'],
      [{ H_cycles: 2, beta: 1 }, 'field "beta" must be a number in [0, 1), found 1.'],
      [{ H_cycles: 2, mode: 'c' }, 'field "mode" must be one of "a", "b", found "c".'],
      [{ H_cycles: 2, name: '../x' }, 'field "name" must be a string of 1-8 lower-case letters, found "../x".'],
      [{ H_cycles: 2, name: { a: 1 } }, 'field "name" must be a string of 1-8 lower-case letters, found {"a":1}.'],
    ];
    for (const [obj, message] of bad) expect(() => parseSettings(schema, obj, 'f.json')).toThrow(`f.json: ${message}`);
  });

  it('makes kebab-case flags with the snake_case names as aliases, and documents them', () => {
    expect([flagName('H_cycles'), flagAlias('H_cycles'), flagName('lr'), flagAlias('lr')]).toEqual(['h-cycles', 'H_cycles', 'lr', undefined]);
    expect(Object.keys(schemaFlagOptions(schema))).toEqual(['h-cycles', 'H_cycles', 'lr', 'beta', 'mode', 'name']);
    const fail = (m: string) => new Error(m);
    expect(schemaFlagValues(schema, { H_cycles: '3', lr: '1e-3', mode: 'b' }, fail)).toEqual({ H_cycles: 3, lr: 0.001, mode: 'b' });
    expect(() => schemaFlagValues(schema, { 'h-cycles': '3', H_cycles: '3' }, fail)).toThrow('--h-cycles and --H_cycles are the same setting; give it once');
    expect(() => schemaFlagValues(schema, { 'h-cycles': '2.5' }, fail)).toThrow("--h-cycles expects an integer, got '2.5'");
    expect(() => schemaFlagValues(schema, { 'h-cycles': '65' }, fail)).toThrow("--h-cycles must be an integer in [1, 64], got '65'");
    expect(schemaUsage(schema)[0]).toMatch(/^ {2}--h-cycles \(--H_cycles\) +cycles \(an integer in \[1, 64\]\)$/);
    expect(schemaUsage(schema)[1]).toMatch(/--lr +learning rate \(a finite number >= 0; default 0\.1\)$/);
  });
});
