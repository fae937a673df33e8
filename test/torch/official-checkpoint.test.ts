/**
 * Official checkpoints without Python: a tiny HRM written as the reference's training writes it
 * (torch.save zip, `_orig_mod.model.inner.` keys, bf16 H_init / L_init, all_config.yaml beside it;
 * also the legacy format under `model.inner.`) gives through `hrm trace`, `solve`, `eval`,
 * `inspect` and `convert` exactly what the same weights give as safetensors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsFile, writeSafetensorsFile } from '@hrm-webgpu/tensor/node';
import { Rng } from '@hrm-webgpu/tensor';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../packages/hrm/src/config.js';
import { buildSudokuSplit, sudokuTokens } from '../../packages/hrm/src/data/sudoku/build.js';
import { HRMSession } from '../../packages/hrm/src/session.js';
import { generateSudoku } from '../../packages/hrm/src/data/sudoku/generator.js';
import { boardToLine } from '../../packages/hrm/src/data/sudoku/board.js';
import { writeDataset } from '../../packages/hrm/src/data/node/datasetFiles.js';
import { bufferSpecs, parameterSpecs } from '../../packages/hrm/src/model/params.js';
import { hrm } from '../hrm-cli.js';
import { runTorchScript, runTorchTests, tempDir, warnIfSkipped } from './python.js';

warnIfSkipped('official torch.save checkpoint tests');
// Bit-identical at any thread count; one thread spares the shared CI cores the worker start-up.
process.env.HRM_CPU_THREADS = '1';

afterEach(() => vi.restoreAllMocks());

// The official Sudoku model's layout (RoPE, seq_len 81 from data_path, vocab 11) at a tiny width.
const config = validateConfig(
  {
    batch_size: 384,
    seq_len: 81,
    vocab_size: 11,
    num_puzzle_identifiers: 1,
    puzzle_emb_ndim: 16,
    H_cycles: 2,
    L_cycles: 2,
    H_layers: 1,
    L_layers: 1,
    hidden_size: 16,
    num_heads: 2,
    expansion: 4,
    pos_encodings: 'rope',
    halt_max_steps: 3,
    halt_exploration_prob: 0.1,
    loss_type: 'stablemax_cross_entropy',
  },
  'test config',
);

describe.skipIf(!runTorchTests)('official torch.save checkpoints', () => {
  const dir = tempDir('hrm-official-');
  const official = join(dir, 'official');
  const reference = join(dir, 'reference.safetensors');
  const puzzle = generateSudoku({ box: 3, targetGivens: 30 }, Rng.fromSeed(3));

  beforeAll(async () => {
    const shapes = Object.fromEntries([...parameterSpecs(config), ...bufferSpecs(config)].map(([k, s]) => [k, s.shape]));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ config, shapes }));
    runTorchScript('write_official_checkpoint.py', [join(dir, 'spec.json'), dir]);
    const rng = Rng.fromSeed(4);
    const solved = Array.from({ length: 5 }, () => generateSudoku({ box: 3, targetGivens: 30 }, rng)).map((g) => ({
      puzzle: g.puzzle,
      solution: g.solution,
      rating: 0,
    }));
    const split = buildSudokuSplit(solved, { box: 3, augmentations: 0, seed: 1 });
    writeDataset(join(dir, 'sudoku9'), { train: split, test: split });
    // A batch of two puzzles for trace.
    const inputs = Int32Array.from([...split.inputs.slice(0, 2 * 81)]);
    const labels = Int32Array.from([...split.labels.slice(0, 2 * 81)]);
    await writeSafetensorsFile(join(dir, 'batch.safetensors'), {
      inputs: { dtype: 'i32', shape: [2, 81], data: inputs },
      labels: { dtype: 'i32', shape: [2, 81], data: labels },
      puzzle_identifiers: { dtype: 'i32', shape: [2], data: new Int32Array(2) },
    });
  });

  const trace = async (checkpoint: string, name: string, ...extra: string[]) => {
    const out = join(dir, `${name}.trace.safetensors`);
    const run = await hrm('trace', checkpoint, '--batch', join(dir, 'batch.safetensors'), '--out', out, '--backend', 'cpu', ...extra);
    expect(run.code, run.err).toBe(0);
    const map = await readSafetensorsFile(out);
    return new Map([...map].map(([k, t]) => [k, Array.from(t.data)]));
  };

  it('trace: the official folder, the legacy file and the converted file reproduce the safetensors route exactly', async () => {
    const want = await trace(reference, 'reference');
    expect(want.size).toBe(9);
    expect(await trace(official, 'official')).toEqual(want);
    expect(await trace(join(dir, 'legacy.pt'), 'legacy', '--config', join(official, 'all_config.yaml'))).toEqual(want);
    const converted = join(dir, 'converted.safetensors');
    const convert = await hrm('convert', official, converted);
    expect(convert.code, convert.err).toBe(0);
    expect(await trace(converted, 'converted')).toEqual(want);
  });

  it('solve and eval give the same answers and report', async () => {
    const text = boardToLine(puzzle.puzzle);
    const a = await hrm('solve', reference, '--puzzle', text, '--backend', 'cpu');
    const b = await hrm('solve', official, '--puzzle', text, '--backend', 'cpu');
    expect(a.code, a.err).toBe(0);
    expect(b.out).toBe(a.out);
    const report = async (checkpoint: string, name: string) => {
      const file = join(dir, `${name}.eval.json`);
      const run = await hrm('eval', checkpoint, '--data', join(dir, 'sudoku9'), '--report', file, '--backend', 'cpu');
      expect(run.code, run.err).toBe(0);
      const { checkpoint: _c, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      return rest;
    };
    expect(await report(official, 'official')).toEqual(await report(reference, 'reference'));
  });

  it('HRMSession loads the official file with its all_config.yaml, as the safetensors route', async () => {
    const tokens = sudokuTokens(puzzle.puzzle);
    const official9 = await HRMSession.create(readFileSync(join(official, 'checkpoint')), {
      backend: 'cpu',
      configYaml: readFileSync(join(official, 'all_config.yaml'), 'utf8'),
    });
    const safetensors = await HRMSession.create(readFileSync(reference), { backend: 'cpu' });
    expect(official9.config).toEqual(safetensors.config);
    expect(await official9.solve(tokens)).toEqual(await safetensors.solve(tokens));
    official9.dispose();
    safetensors.dispose();
  });

  it('inspect shows the prefix, the bf16 buffers and the configuration taken from all_config.yaml and the weights', async () => {
    const run = await hrm('inspect', official, '--json');
    expect(run.code, run.err).toBe(0);
    const info = JSON.parse(run.out) as { prefix: string; config: Record<string, unknown>; tensors: { name: string; dtype: string }[] };
    expect(info.prefix).toBe('_orig_mod.model.inner.');
    expect(info.tensors.find((t) => t.name.endsWith('H_init'))!.dtype).toBe('BF16');
    expect(info.config).toMatchObject({
      seq_len: 81,
      vocab_size: 11,
      num_puzzle_identifiers: 1,
      hidden_size: 16,
      batch_size: 384,
      loss_type: 'stablemax_cross_entropy',
    });
  });

  it('names what is missing: a torch file without a configuration, a folder without weights', async () => {
    const bare = await hrm('solve', join(dir, 'legacy.pt'), '--puzzle', boardToLine(puzzle.puzzle), '--backend', 'cpu');
    expect(bare.code).toBe(1);
    expect(bare.err).toContain('legacy.pt stores no configuration and has no all_config.yaml beside it');
    const empty = await hrm('inspect', join(dir, 'sudoku9'));
    expect(empty.code).toBe(1);
    expect(empty.err).toContain("holds its weights in 'checkpoint' (or step_N files), found neither");
  });
});
