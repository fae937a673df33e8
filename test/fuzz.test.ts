/**
 * Fuzz tests of every file the tools read: safetensors, .npy, dataset folders, training states,
 * run.json, ARC task JSON and puzzle lines. Each mutation of a valid file must give either a valid
 * load or a clear error: an Error naming the file, not a crash of the engine ("Cannot read
 * properties", "Invalid typed array length", a stack overflow), and no load may hold more memory
 * than the file could describe, and no case may run for long (a hang fails its property). Seeds are fixed (test/setup-fast-check.ts) and the run counts
 * small, so the whole set stays within seconds.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseSafetensors, serializeSafetensors, setBackend } from '@hrm-webgpu/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoData } from '../packages/hrm/src/data/demo.js';
import { parseArcTask } from '../packages/hrm/src/data/arc/task.js';
import { readDataset, writeDataset } from '../packages/hrm/src/data/node/datasetFiles.js';
import { parseNpy, serializeNpy } from '../packages/hrm/src/data/npy.js';
import { solveEntries } from '../packages/hrm/src/data/sudoku/build.js';
import { parseSudokuLines, sameBoardSize } from '../packages/hrm/src/data/sudoku/parse.js';
import { tinyConfig } from '../packages/hrm/src/model/fixtures.testing.js';
import { HRM } from '../packages/hrm/src/model/hrm.js';
import { readTrainingCheckpoint, trainingStateFile, writeTrainingCheckpoint } from '../packages/hrm/src/train/checkpoint-files.js';
import { readRunConfig } from '../packages/hrm/src/train/run.js';
import { Trainer } from '../packages/hrm/src/train/trainer.js';

const root = mkdtempSync(join(tmpdir(), 'hrm-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await setBackend('cpu');
});

/** A hang detector, far above what a case takes (milliseconds), not a speed requirement. */
const CASE_LIMIT_MS = 10_000;

/** Messages of engine failures that mean a reader trusted what it read. */
const CRASH =
  /Cannot read properties|is not a function|is not iterable|Invalid typed array length|Invalid array length|Maximum call stack|out of memory|Array buffer allocation failed|of undefined|undefined is not|of null|null is not/;

/** Runs `load`; it must return, or throw an Error whose message names `source` and is not an engine crash. */
async function loadsOrExplains<T>(source: string, load: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    const message = (e as Error).message;
    expect(message, message).toContain(source);
    expect(message.replaceAll(source, ''), message).not.toMatch(CRASH);
    return undefined;
  }
}

/** Byte-level mutations: overwrite bytes, truncate, or splice in random bytes. */
const byteMutation = (size: number) =>
  fc.oneof(
    fc.array(fc.record({ at: fc.nat(size - 1), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }).map((edits) => (b: Uint8Array) => {
      const out = Uint8Array.from(b);
      for (const { at, value } of edits) out[at] = value;
      return out;
    }),
    fc.nat(size).map((n) => (b: Uint8Array) => b.slice(0, n)),
    fc.tuple(fc.nat(size), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, extra]) => (b: Uint8Array) => {
      const out = new Uint8Array(b.length + extra.length);
      out.set(b.subarray(0, at));
      out.set(extra, at);
      out.set(b.subarray(at), at + extra.length);
      return out;
    }),
  );

type Json = unknown;
/** JSON-level mutations of an object: replace a (nested) field by any JSON value, delete one, or add one. */
const jsonMutation = fc.oneof(
  fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(
    ([pick, value]) =>
      (o: Json) =>
        edit(o, pick, () => value),
  ),
  fc.nat().map((pick) => (o: Json) => edit(o, pick, () => undefined)),
  fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })).map(([key, value]) => (o: Json) => ({ ...(o as object), [key]: value })),
  fc.constantFrom<number | string>(-5, 10.5, 1e30, '1', 'a/b', -0, 2 ** 53).chain((v) => fc.nat().map((pick) => (o: Json) => edit(o, pick, () => v))),
);

/** A deep copy of `o` with its `pick`-th leaf or object field (in walk order) replaced by `make()` (undefined deletes it). */
function edit(o: Json, pick: number, make: () => Json): Json {
  const copy = structuredClone(o) as Json;
  const slots: [Record<string, Json>, string][] = [];
  const walk = (v: Json) => {
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, Json>)) {
      slots.push([v as Record<string, Json>, k]);
      walk(x);
    }
  };
  walk(copy);
  if (slots.length === 0) return make();
  const [parent, key] = slots[pick % slots.length]!;
  const value = make();
  if (value === undefined) delete parent[key];
  else parent[key] = value;
  return copy;
}

/** A two-step training configuration for the tiny model (training-state and run.json cases). */
const TINY_TRAINING = {
  global_batch_size: 4,
  steps: 2,
  lr: 1e-3,
  lr_min_ratio: 1,
  lr_warmup_steps: 0,
  weight_decay: 0,
  beta1: 0.9,
  beta2: 0.95,
  puzzle_emb_lr: 1e-3,
  puzzle_emb_weight_decay: 0,
  seed: 0,
};

describe('fuzz: every mutation gives a valid load or a clear error naming the file', () => {
  it('safetensors', async () => {
    const valid = serializeSafetensors(
      {
        a: { dtype: 'f32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
        b: { dtype: 'i32', shape: [4], data: Int32Array.of(1, -2, 3, 4) },
      },
      { hrm_config: '{"hidden_size": 4}' },
    );
    await fc.assert(
      fc.asyncProperty(byteMutation(valid.length), async (mutate) => {
        const bytes = mutate(valid);
        const map = await loadsOrExplains('x.safetensors', () => parseSafetensors(bytes, 'x.safetensors'));
        // A valid load describes no more than the file holds (bf16 / f16 widen to f32: at most 2x).
        if (map) expect([...map.values()].reduce((n, t) => n + t.data.byteLength, 0)).toBeLessThanOrEqual(2 * bytes.length);
      }),
      { numRuns: 300, timeout: CASE_LIMIT_MS },
    );
  });

  it('.npy', async () => {
    const valid = serializeNpy(Int32Array.of(1, 2, 3, 70000, 5, 6), [2, 3], 'int32');
    await fc.assert(
      fc.asyncProperty(byteMutation(valid.length), async (mutate) => {
        const bytes = mutate(valid);
        const array = await loadsOrExplains('x.npy', () => parseNpy(bytes, 'x.npy'));
        if (array) expect(array.data.byteLength).toBeLessThanOrEqual(4 * bytes.length);
      }),
      { numRuns: 300, timeout: CASE_LIMIT_MS },
    );
  });

  it('dataset folders', async () => {
    const { train } = generateDemoData({ trainPuzzles: 6, testPuzzles: 2, augmentations: 0, seed: 3 });
    const dir = join(root, 'dataset');
    writeDataset(dir, { train });
    const files = ['dataset.json', 'all__inputs.npy', 'all__labels.npy', 'all__puzzle_identifiers.npy', 'all__puzzle_indices.npy', 'all__group_indices.npy'];
    const originals = new Map(files.map((f) => [f, readFileSync(join(dir, 'train', f))]));
    const metadata = JSON.parse(originals.get('dataset.json')!.toString('utf8'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...files), byteMutation(64), jsonMutation, async (file, mutateBytes, mutateJson) => {
        for (const [f, bytes] of originals) writeFileSync(join(dir, 'train', f), bytes);
        const original = originals.get(file)!;
        const mutated = file === 'dataset.json' ? (JSON.stringify(mutateJson(metadata)) ?? 'null') : mutateBytes(original.subarray(0, 64));
        writeFileSync(join(dir, 'train', file), file === 'dataset.json' ? mutated : Buffer.concat([mutated as Uint8Array, original.subarray(64)]));
        await loadsOrExplains(dir, () => readDataset(dir, 'train'));
      }),
      { numRuns: 120, timeout: CASE_LIMIT_MS },
    );
  });

  it('training state metadata', async () => {
    const { train } = generateDemoData({ trainPuzzles: 6, testPuzzles: 2, augmentations: 0, seed: 3 });
    const config = { ...tinyConfig({ halt_max_steps: 2 }), seq_len: 16, vocab_size: 6 };
    const demoModel = new HRM(config, { seed: 1 });
    const training = TINY_TRAINING;
    const trainer = Trainer.start(demoModel, train, training);
    await trainer.next();
    const dir = join(root, 'state');
    mkdirSync(dir);
    await writeTrainingCheckpoint(dir, trainer, config, trainer.config, 1);
    const file = trainingStateFile(dir, 1);
    const original = readFileSync(file);
    const { metadata } = parseSafetensors(original, file);
    const meta = JSON.parse(metadata.hrm_training!);
    const tensors = Object.fromEntries(parseSafetensors(original, file));
    await fc.assert(
      fc.asyncProperty(jsonMutation, async (mutate) => {
        writeFileSync(file, serializeSafetensors(tensors, { ...metadata, hrm_training: JSON.stringify(mutate(meta)) ?? 'null' }));
        const target = new HRM(config, { seed: 2 });
        const loaded = await loadsOrExplains(file, () => readTrainingCheckpoint(dir, 1, target, 4));
        if (loaded) expect(loaded.snapshot.step).toBe(1);
        target.dispose();
      }),
      { numRuns: 60, timeout: CASE_LIMIT_MS },
    );
    demoModel.dispose();
  });

  it('run.json', async () => {
    const dir = join(root, 'run');
    mkdirSync(dir);
    const file = join(dir, 'run.json');
    const run = {
      arch: { ...tinyConfig(), seq_len: 16 },
      training: TINY_TRAINING,
      data: 'data/sudoku4',
      dataOptions: { seed: 0, augmentations: 2 },
    };
    await fc.assert(
      fc.asyncProperty(jsonMutation, byteMutation(40), fc.boolean(), async (mutateJson, mutateBytes, asBytes) => {
        const text = JSON.stringify(mutateJson(run)) ?? 'null';
        writeFileSync(file, asBytes ? mutateBytes(new TextEncoder().encode(text)) : text);
        await loadsOrExplains(file, () => readRunConfig(dir));
      }),
      { numRuns: 200, timeout: CASE_LIMIT_MS },
    );
  });

  it('ARC task JSON', async () => {
    const task = {
      train: [
        {
          input: [
            [1, 2],
            [3, 4],
          ],
          output: [[4]],
        },
      ],
      test: [{ input: [[0]], output: [[9, 9]] }],
    };
    await fc.assert(
      fc.asyncProperty(jsonMutation, fc.boolean(), fc.string({ maxLength: 30 }), async (mutate, raw, text) => {
        await loadsOrExplains('t.json', () => parseArcTask(raw ? text : (JSON.stringify(mutate(task)) ?? 'null'), 't.json'));
      }),
      { numRuns: 300, timeout: CASE_LIMIT_MS },
    );
  });

  it('puzzle lines', async () => {
    const line = fc.oneof(
      fc.stringMatching(/^[.0-9]{16}$/),
      fc.stringMatching(/^[.0-4]{16}$/),
      fc.stringMatching(/^[.0-9]{81}$/),
      fc.string({ maxLength: 90 }),
      fc.constant('1...' + '..2.' + '.3..' + '...4'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 4 }), async (lines) => {
        await loadsOrExplains('p.txt', () => solveEntries([...sameBoardSize(parseSudokuLines(lines, 'p.txt'), 'p.txt')], 'p.txt'));
      }),
      { numRuns: 200, timeout: CASE_LIMIT_MS },
    );
  });
});
