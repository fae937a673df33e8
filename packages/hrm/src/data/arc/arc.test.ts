import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IGNORE_LABEL_ID, numExamples } from '../dataset.js';
import { DIHEDRAL_INVERSE, dihedralTransform, gridFromRows, gridsEqual, inverseDihedralTransform, type Grid } from '../grid/grid.js';
import { Rng } from '@hrm-webgpu/tensor';
import { referenceDataDir } from '../node/testData.js';
import { applyArcAugmentation, augmentedName, parseAugmentedName, randomArcAugmentation, undoArcAugmentation } from './augment.js';
import { buildArcDataset, type NamedArcTask } from './build.js';
import { ARC_EOS, cropCanvas, encodeCanvas } from './canvas.js';
import { parseArcTask } from './task.js';
import { ArcVoter } from './vote.js';

const gridArb = fc
  .tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }))
  .chain(([r, c]) => fc.array(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: c, maxLength: c }), { minLength: r, maxLength: r }))
  .map(gridFromRows);

describe('grids and transforms', () => {
  it('inverse dihedral transforms compose to the identity', () => {
    fc.assert(
      fc.property(gridArb, fc.integer({ min: 0, max: 7 }), (g, t) => {
        expect(gridsEqual(inverseDihedralTransform(dihedralTransform(g, t), t), g)).toBe(true);
        expect(gridsEqual(dihedralTransform(inverseDihedralTransform(g, t), t), g)).toBe(true);
      }),
    );
    expect([...DIHEDRAL_INVERSE]).toEqual([0, 3, 2, 1, 4, 5, 6, 7]);
  });

  it('matches numpy on a 2x3 grid', () => {
    const g = gridFromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const rows = (t: number) => {
      const x = dihedralTransform(g, t);
      return Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols)));
    };
    expect(rows(1)).toEqual([
      [3, 6],
      [2, 5],
      [1, 4],
    ]); // np.rot90
    expect(rows(3)).toEqual([
      [4, 1],
      [5, 2],
      [6, 3],
    ]);
    expect(rows(4)).toEqual([
      [3, 2, 1],
      [6, 5, 4],
    ]);
    expect(rows(5)).toEqual([
      [4, 5, 6],
      [1, 2, 3],
    ]);
    expect(rows(6)).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(rows(7)).toEqual([
      [6, 3],
      [5, 2],
      [4, 1],
    ]); // np.fliplr(np.rot90)
  });

  it('undoes augmentations recorded in names', () => {
    fc.assert(
      fc.property(gridArb, fc.integer(), (g, seed) => {
        const a = randomArcAugmentation(Rng.fromSeed(seed));
        const { task, augmentation } = parseAugmentedName(augmentedName('abc123', a));
        expect(task).toBe('abc123');
        expect(gridsEqual(undoArcAugmentation(applyArcAugmentation(g, a), augmentation), g)).toBe(true);
        expect(augmentation!.colourMap[0]).toBe(0);
      }),
    );
  });
});

describe('canvas', () => {
  it('puts EOS below and right of the grid, inside the canvas', () => {
    const c = encodeCanvas(gridFromRows([[0, 1]]), 2, 28);
    expect(c[2 * 30 + 28]).toBe(2);
    expect(c[3 * 30 + 28]).toBe(ARC_EOS);
    expect(c[3 * 30 + 29]).toBe(ARC_EOS);
    expect(c.filter((t) => t === ARC_EOS).length).toBe(2);
  });

  it('crops predictions to the largest top-left colour rectangle', () => {
    const c = encodeCanvas(
      gridFromRows([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    );
    c[1 * 30 + 2] = ARC_EOS; // a ragged prediction: rows of 3 and 2 cells
    expect(cropCanvas(c)).toMatchObject({ rows: 2, cols: 2 });
    expect(Array.from(cropCanvas(c).data)).toEqual([1, 2, 4, 5]);
    expect(cropCanvas(new Int32Array(900))).toMatchObject({ rows: 0, cols: 0 });
  });

  it('rejects bad task files naming file and field', () => {
    expect(() => parseArcTask('{"train":[{"input":[[1,2],[3]],"output":[[1]]}],"test":[]}', 't.json')).toThrow(
      /t\.json: train\[0\]\.input\[1\]: expected 2 cells/,
    );
    expect(() => parseArcTask('{"train":[{"input":[[1]],"output":[[1]]}],"test":[{"input":[[1]],"output":[[10]]}]}', 't.json')).toThrow(
      /t\.json: test\[0\]\.output\[0\]\[0\]: expected an integer 0\.\.9/,
    );
    expect(() => parseArcTask('{"train":[],"test":[{"input":[[1]],"output":[[1]]}]}', 't.json')).toThrow(
      /t\.json: 'train' must hold at least one input\/output pair, found none/,
    );
    expect(() => parseArcTask('{"train":', 't.json')).toThrow(/t\.json: invalid JSON/);
  });
});

const arcDir = join(referenceDataDir(), 'arc-agi-1');

describe.runIf(existsSync(arcDir))('reference ARC tasks', () => {
  it('round-trips every grid of every task through the canvas', () => {
    let grids = 0;
    for (const split of ['training', 'evaluation']) {
      for (const f of readdirSync(join(arcDir, split)).filter((n) => n.endsWith('.json'))) {
        const file = join(arcDir, split, f);
        const task = parseArcTask(readFileSync(file, 'utf8'), file);
        for (const pair of [...task.train, ...task.test]) {
          for (const g of [pair.input, pair.output]) {
            expect(gridsEqual(cropCanvas(encodeCanvas(g)), g)).toBe(true);
            grids++;
          }
        }
      }
    }
    expect(grids).toBeGreaterThan(6000);
  });
});
if (!existsSync(arcDir)) console.log(`skipping reference ARC tests: ${arcDir} not found (set HRM_DATA_DIR)`);

const tinyTask = (seed: number) => {
  const rng = Rng.fromSeed(seed);
  const grid = (r: number, c: number): Grid => ({ rows: r, cols: c, data: Int32Array.from({ length: r * c }, () => rng.int(0, 9)) });
  const pair = () => ({ input: grid(rng.int(1, 4), rng.int(1, 4)), output: grid(rng.int(1, 4), rng.int(1, 4)) });
  return { train: [pair(), pair()], test: [pair()] };
};

describe('ARC dataset', () => {
  const tasks: NamedArcTask[] = [
    { name: 'aaa', split: 'training', task: tinyTask(1) },
    { name: 'bbb', split: 'evaluation', task: tinyTask(2) },
  ];
  const { train, test } = buildArcDataset(tasks, { augmentations: 3, seed: 0 });

  it('follows the split rule and shares identifiers between demos and queries', () => {
    expect(Array.from(train.groupIndices)).toEqual([0, 4, 8]);
    expect(Array.from(test.groupIndices)).toEqual([0, 4]);
    expect(numExamples(train)).toBe(4 * 3 + 4 * 2);
    expect(numExamples(test)).toBe(4);
    const names = (d: typeof train) => Array.from(d.puzzleIdentifiers, (id) => d.identifiers![id]!);
    expect(names(train)[0]).toBe('aaa');
    expect(names(train)[4]).toBe('bbb');
    expect(names(test)).toEqual(names(train).slice(4));
    expect(train.metadata).toMatchObject({ vocab_size: 12, seq_len: 900, num_puzzle_identifiers: 9, total_groups: 2 });
    expect(train.labels.includes(0)).toBe(false);
    expect(train.labels.includes(IGNORE_LABEL_ID)).toBe(true);
  });

  it('test examples crop and un-augment back to the original test pair', () => {
    for (let e = 0; e < numExamples(test); e++) {
      const name = test.identifiers![test.puzzleIdentifiers[e]!]!;
      const { augmentation } = parseAugmentedName(name);
      const input = undoArcAugmentation(cropCanvas(test.inputs.subarray(e * 900, (e + 1) * 900)), augmentation);
      expect(gridsEqual(input, tasks[1]!.task.test[0]!.input)).toBe(true);
    }
  });
});

describe('voting', () => {
  const answer = gridFromRows([
    [1, 2],
    [3, 4],
  ]);
  const wrong = gridFromRows([
    [1, 1],
    [1, 1],
  ]);
  const input = gridFromRows([[5]]);
  const predict = (name: string, g: Grid, q: number) => {
    const { augmentation } = parseAugmentedName(name);
    const aug = (x: Grid) => encodeCanvas(augmentation ? applyArcAugmentation(x, augmentation) : x);
    return { puzzleName: name, input: aug(input), label: aug(answer), prediction: aug(g), qHaltLogit: q };
  };
  const a1 = augmentedName('task', { tid: 1, colourMap: Int32Array.of(0, 2, 3, 4, 5, 6, 7, 8, 9, 1) });
  const a2 = augmentedName('task', { tid: 6, colourMap: Int32Array.of(0, 9, 8, 7, 6, 5, 4, 3, 2, 1) });

  it('ranks by votes, then mean sigmoid(q_halt), after undoing augmentations', () => {
    const voter = new ArcVoter();
    voter.add(predict('task', wrong, 5));
    voter.add(predict(a1, wrong, 5));
    voter.add(predict(a2, answer, -5));
    const r = voter.report([1, 2]);
    expect(r.perTask[0]!.testInputs[0]!.candidates[0]!.votes).toBe(2);
    expect(r.perTask[0]!.testInputs[0]!.answerRank).toBe(2);
    expect(r.passAt).toEqual({ 1: 0, 2: 1 });
  });

  it('breaks ties by confidence and needs every test input right', () => {
    const voter = new ArcVoter();
    voter.add(predict('task', wrong, -1));
    voter.add(predict(a1, answer, 2));
    // A second test input whose answer is never predicted.
    voter.add({ ...predict('task', answer, 0), input: encodeCanvas(gridFromRows([[6]])), label: encodeCanvas(wrong) });
    const r = voter.report([1, 2]);
    expect(r.perTask[0]!.testInputs[0]!.answerRank).toBe(1);
    expect(r.tasks).toBe(1);
    expect(r.partialPassAt[1]).toBe(0.5);
    expect(r.passAt[1]).toBe(0);
  });
});
