import { describe, expect, it } from 'vitest';
import {
  demoSudoku4x4Config,
  modelSeqLen,
  officialArcConfig,
  officialMazeConfig,
  officialSudokuConfig,
  puzzleEmbLen,
  swigluInnerSize,
  validateConfig,
} from './config.js';
import { countTrainableParameters } from './model/params.js';

const tiny = {
  batch_size: 4,
  seq_len: 8,
  vocab_size: 6,
  num_puzzle_identifiers: 2,
  puzzle_emb_ndim: 16,
  H_cycles: 2,
  L_cycles: 2,
  H_layers: 1,
  L_layers: 1,
  hidden_size: 16,
  num_heads: 2,
  expansion: 2,
  pos_encodings: 'rope',
  halt_max_steps: 2,
  halt_exploration_prob: 0.1,
};

describe('validateConfig', () => {
  it('fills the official defaults', () => {
    const c = validateConfig(tiny, 'test');
    expect(c.rms_norm_eps).toBe(1e-5);
    expect(c.rope_theta).toBe(10000);
    expect(c.loss_type).toBe('stablemax_cross_entropy');
    expect(c.gradient).toBe('one-step');
    expect(c.forward_dtype).toBe('bfloat16');
  });

  it('names the field, the expectation and what it found', () => {
    expect(() => validateConfig({ ...tiny, hidden_size: 16.5 }, 'cfg.json')).toThrow(
      /cfg\.json: field "hidden_size" must be an integer in \[1, 8192\], found 16\.5/,
    );
    expect(() => validateConfig({ ...tiny, pos_encodings: 'alibi' }, 'x')).toThrow(/"pos_encodings" must be one of "rope", "learned", found "alibi"/);
    expect(() => validateConfig({ ...tiny, halt_exploration_prob: 2 }, 'x')).toThrow(/"halt_exploration_prob" must be a number in \[0, 1\], found 2/);
    const { H_cycles: _, ...withoutH } = tiny;
    expect(() => validateConfig(withoutH, 'x')).toThrow(/"H_cycles" is required/);
    expect(() => validateConfig({ ...tiny, h_cycles: 2 }, 'x')).toThrow(/unknown field\(s\) "h_cycles"/);
    expect(() => validateConfig({ ...tiny, num_heads: 3 }, 'x')).toThrow(/"hidden_size" \(16\) must be divisible by "num_heads" \(3\)/);
    expect(() => validateConfig({ ...tiny, causal: true }, 'x')).toThrow(/"causal" must be false/);
    expect(() => validateConfig([], 'x')).toThrow(/expected a configuration object/);
  });

  it('refuses the hostile sizes a stored configuration could carry, before anything is allocated', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ H_layers: 1e6 }, /x: field "H_layers" must be an integer in \[1, 64\], found 1000000/],
      [{ seq_len: 1e7 }, /field "seq_len" must be an integer in \[1, 16384\], found 10000000/],
      [{ H_cycles: 1e9 }, /field "H_cycles" must be an integer in \[1, 64\]/],
      [{ L_cycles: '2' }, /field "L_cycles" must be an integer in \[1, 64\], found "2"/],
      [{ halt_max_steps: 2.5 }, /field "halt_max_steps" must be an integer/],
      [{ rms_norm_eps: Number.NaN }, /field "rms_norm_eps" must be a number in \(0, 1\]/],
      [{ forward_dtype: '../../etc' }, /field "forward_dtype" must be a string of at most 32 lower-case letters/],
      [{ name: 'a/b' }, /field "name" must be a class path/],
      // Each field in bounds, the whole too large: 64 + 64 layers of width 8192.
      [{ hidden_size: 8192, num_heads: 64, H_layers: 64, L_layers: 64 }, /the model and its training state would take \d+\.\d GiB .*; the limit is 16\.0 GiB/],
    ];
    for (const [fields, message] of cases) expect(() => validateConfig({ ...tiny, ...fields }, 'x')).toThrow(message);
  });

  it('accepts the extra keys of official config files', () => {
    const c = validateConfig(
      {
        ...tiny,
        name: 'hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1',
        causal: false,
        loss: { name: 'losses@ACTLossHead', loss_type: 'softmax_cross_entropy' },
      },
      'x',
    );
    expect(c.loss_type).toBe('softmax_cross_entropy');
  });
});

describe('derived values', () => {
  it('rounds the SwiGLU inner size up to a multiple of 256', () => {
    expect(swigluInnerSize(512, 4)).toBe(1536);
    expect(swigluInnerSize(16, 2)).toBe(256);
  });

  it('prepends ceil(puzzle_emb_ndim / hidden) positions', () => {
    const c = officialSudokuConfig();
    expect(puzzleEmbLen(c)).toBe(1);
    expect(modelSeqLen(c)).toBe(82);
    expect(puzzleEmbLen(validateConfig({ ...tiny, puzzle_emb_ndim: 17 }, 'x'))).toBe(2);
    expect(puzzleEmbLen(validateConfig({ ...tiny, puzzle_emb_ndim: 0 }, 'x'))).toBe(0);
  });
});

describe('presets', () => {
  it('have the trainable parameter counts of the reference', () => {
    expect(countTrainableParameters(officialSudokuConfig())).toBe(27_275_266);
    expect(countTrainableParameters(officialMazeConfig())).toBe(27_270_146);
    expect(countTrainableParameters(officialArcConfig(1000))).toBe(27_276_290);
  });

  it('validate, overrides included', () => {
    expect(demoSudoku4x4Config().seq_len).toBe(16);
    expect(officialSudokuConfig({ gradient: 'bptt' }).gradient).toBe('bptt');
    expect(() => officialSudokuConfig({ hidden_size: 0 })).toThrow(/preset sudoku: field "hidden_size"/);
  });
});
