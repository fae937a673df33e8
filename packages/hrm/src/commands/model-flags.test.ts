import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetMetadata } from '../data/types.js';
import { parseFlags, UsageError } from './args.js';
import { splitConfigObject } from '../node/config-file.js';
import { resolveSettings, settingFlags } from './model-flags.js';

const meta: DatasetMetadata = {
  pad_id: 0,
  ignore_label_id: 0,
  blank_identifier_id: 0,
  vocab_size: 6,
  seq_len: 16,
  num_puzzle_identifiers: 1,
  total_groups: 10,
  mean_puzzle_examples: 1,
  sets: ['all'],
};
const flags = (argv: string[]) => parseFlags(argv, settingFlags);

describe('resolveSettings', () => {
  it('layers preset, file and flags, and takes the data sizes from the metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrm-flags-'));
    const file = join(dir, 'cfg.json');
    writeFileSync(file, JSON.stringify({ arch: { hidden_size: 32, num_heads: 4 }, lr: 0.002, global_batch_size: 16 }));
    const { arch, training } = resolveSettings({ preset: 'sudoku4x4', configFile: file, flags: flags(['--H_cycles', '3', '--steps', '7']) }, meta);
    expect(arch).toMatchObject({ hidden_size: 32, num_heads: 4, H_cycles: 3, seq_len: 16, vocab_size: 6, batch_size: 16 });
    expect(training).toMatchObject({ lr: 0.002, global_batch_size: 16, steps: 7 });
  });

  it('sudoku4x4 brings the demo recipe: its model and training settings that fit it', () => {
    const { arch, training } = resolveSettings({ preset: 'sudoku4x4', flags: flags([]) }, meta);
    expect(arch).toMatchObject({ hidden_size: 32, pos_encodings: 'learned', batch_size: 16 });
    expect(training).toMatchObject({ global_batch_size: 16, lr: 6e-3, lr_warmup_steps: 200, steps: 4500 });
    expect(resolveSettings({ preset: 'sudoku', flags: flags([]) }, { ...meta, seq_len: 81, vocab_size: 11 }).training.lr).toBe(1e-4);
  });

  it("takes the sudoku9 recipe's architecture and training settings, under file and flags", () => {
    const sudoku9: DatasetMetadata = { ...meta, vocab_size: 11, seq_len: 81 };
    const { arch, training } = resolveSettings({ preset: 'sudoku9', flags: flags(['--lr', '0.001']) }, sudoku9);
    expect(arch).toMatchObject({ H_cycles: 2, L_cycles: 2, halt_max_steps: 4, hidden_size: 64, seq_len: 81, vocab_size: 11, batch_size: 64 });
    expect(training).toMatchObject({ global_batch_size: 64, steps: 4000, lr: 0.001, lr_warmup_steps: 300, eval_every: 500 });
  });

  it('names the flag whose value is not a number', () => {
    expect(() => resolveSettings({ preset: 'sudoku4x4', flags: flags(['--hidden_size', 'big']) }, meta)).toThrow(/--hidden_size expects a number, got 'big'/);
    expect(() => resolveSettings({ preset: 'sudoku4x4', flags: flags(['--H_layers', '1.5']) }, meta)).toThrow(/--H_layers expects an integer/);
  });

  it('rejects unknown flags, presets and config fields by name', () => {
    expect(() => flags(['--hiden_size', '3'])).toThrow(UsageError);
    expect(() => flags(['--hiden_size', '3'])).toThrow(/hiden_size/);
    expect(() => resolveSettings({ preset: 'chess', flags: flags([]) }, meta)).toThrow(/--preset must be one of/);
    expect(() => splitConfigObject([1], 'x.json')).toThrow(/x.json: expected a JSON object/);
    const dir = mkdtempSync(join(tmpdir(), 'hrm-flags-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ hidden_sise: 32 }));
    expect(() => resolveSettings({ preset: 'sudoku4x4', configFile: file, flags: flags([]) }, meta)).toThrow(/hidden_sise/);
  });

  it('refuses a configuration whose data sizes disagree with the data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrm-flags-'));
    const file = join(dir, 'cfg.json');
    writeFileSync(file, JSON.stringify({ seq_len: 81 }));
    expect(() => resolveSettings({ preset: 'sudoku4x4', configFile: file, flags: flags([]) }, meta)).toThrow(
      /seq_len is 81 in the configuration but 16 in the data/,
    );
  });

  it('names a missing config file', () => {
    expect(() => resolveSettings({ configFile: '/nonexistent/cfg.json', flags: flags([]) }, meta)).toThrow(/config file \/nonexistent\/cfg.json not found/);
  });

  it('takes kebab-case flags with the official snake_case names as aliases, checking bounds by flag', () => {
    const a = resolveSettings(
      {
        preset: 'sudoku4x4',
        flags: flags(['--h-cycles', '3', '--hidden-size', '32', '--num-heads', '4', '--steps', '5', '--skip-nonfinite', '2', '--eval-limit', '9']),
      },
      meta,
    );
    const b = resolveSettings(
      {
        preset: 'sudoku4x4',
        flags: flags(['--H_cycles', '3', '--hidden_size', '32', '--num_heads', '4', '--steps', '5', '--skip_nonfinite', '2', '--eval_limit', '9']),
      },
      meta,
    );
    expect(a).toEqual(b);
    expect(a.arch).toMatchObject({ H_cycles: 3, hidden_size: 32 });
    expect(a.training).toMatchObject({ skip_nonfinite: 2, eval_limit: 9, log_every: 10 });
    expect(() => resolveSettings({ preset: 'sudoku4x4', flags: flags(['--h-cycles', '3', '--H_cycles', '4']) }, meta)).toThrow(
      /--h-cycles and --H_cycles are the same setting/,
    );
    expect(() => resolveSettings({ preset: 'sudoku4x4', flags: flags(['--h-cycles', '1000000000', '--steps', '1']) }, meta)).toThrow(
      /--h-cycles must be an integer in \[1, 64\], got '1000000000'/,
    );
    expect(() => resolveSettings({ preset: 'sudoku4x4', flags: flags(['--steps=-5']) }, meta)).toThrow(/--steps must be an integer in \[1, 1000000000\]/);
  });

  it('names the file and field of a training setting out of bounds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrm-flags-'));
    const file = join(dir, 'cfg.json');
    writeFileSync(file, JSON.stringify({ beta2: 1, steps: 3 }));
    expect(() => resolveSettings({ preset: 'sudoku4x4', configFile: file, flags: flags([]) }, meta)).toThrow(
      `${file}: field "beta2" must be a number in [0, 1), found 1.`,
    );
    writeFileSync(file, '{"steps": 3,');
    expect(() => resolveSettings({ preset: 'sudoku4x4', configFile: file, flags: flags([]) }, meta)).toThrow(`config file ${file}: not valid JSON`);
  });
});
