import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testBatches, trainBatches } from './batching.js';
import { DatasetBuilder, IGNORE_LABEL_ID, type PuzzleDataset } from './dataset.js';

/** Groups of puzzles with the given example counts; example e has input tokens all e + 1 (mod 200). */
function dataset(groups: number[][]): PuzzleDataset {
  const b = new DatasetBuilder(2);
  let e = 0;
  groups.forEach((puzzles, g) => {
    puzzles.forEach((count, p) => {
      b.addPuzzle(
        1 + g * 10 + p,
        Array.from({ length: count }, () => {
          const t = (e++ % 200) + 1;
          return { input: Int32Array.of(t, t), label: Int32Array.of(t, IGNORE_LABEL_ID) };
        }),
      );
    });
    b.endGroup();
  });
  return b.finish({ pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: 256, num_puzzle_identifiers: 200 });
}

const groupsArb = fc.array(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 });

describe('trainBatches', () => {
  it('refuses to resume a stream on a dataset of another shape or seed, and a batch of 0 rows', () => {
    const big = dataset([[1], [2], [1], [3], [1]]);
    const stream = trainBatches(big, { globalBatchSize: 2, seed: 4 });
    stream.next();
    const { state } = stream.next().value!;
    expect(state.cursor).toBeGreaterThan(2);
    const small = dataset([[1], [1]]);
    expect(() => trainBatches(small, { globalBatchSize: 2, seed: 4, resume: state }).next()).toThrow(
      `the saved data stream stands at group ${state.cursor} of an epoch, but the dataset has 2 groups: resume on the data the run started with`,
    );
    expect(() => trainBatches(big, { globalBatchSize: 2, seed: 5, resume: state }).next()).toThrow('the saved data stream has seed 4, the run 5');
    expect(() => trainBatches(big, { globalBatchSize: 0, seed: 4 }).next()).toThrow('globalBatchSize must be a positive integer, got 0');
    const hollow = { ...small, groupIndices: Int32Array.of(0, 1, 1, 2) };
    expect(() => trainBatches(hollow, { globalBatchSize: 2, seed: 4 }).next()).toThrow('group 1 of the dataset holds no puzzle');
  });

  it('fills every batch from whole groups, one puzzle per group, and drops the final partial batch', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.integer(), (groups, size, epochs, seed) => {
        const d = dataset(groups);
        const batches = [...trainBatches(d, { globalBatchSize: size, seed, epochs })];
        let drawn = 0;
        for (const { batch } of batches) {
          expect(batch.size).toBe(size);
          expect(batch.puzzleIdentifiers.includes(0)).toBe(false); // no padding rows in training
          for (let r = 0; r < size; r++) {
            const t = batch.inputs[r * 2]!;
            const example = t - 1;
            const puzzle = d.puzzleIndices.findIndex((start, p) => example >= start && example < d.puzzleIndices[p + 1]!);
            expect(batch.puzzleIdentifiers[r]).toBe(d.puzzleIdentifiers[puzzle]);
            expect(batch.labels[r * 2 + 1]).toBe(IGNORE_LABEL_ID);
          }
          drawn += size;
        }
        // At most one partial batch worth of examples is missing from the epochs drawn.
        const maxPerEpoch = groups.reduce((s, g) => s + Math.max(...g), 0);
        expect(drawn).toBeLessThanOrEqual(maxPerEpoch * epochs);
      }),
      { numRuns: 60 },
    );
  });

  it('visits every group once per epoch', () => {
    const d = dataset(Array.from({ length: 10 }, () => [1, 1, 1]));
    const seen = [...trainBatches(d, { globalBatchSize: 5, seed: 3, epochs: 1 })].flatMap(({ batch }) =>
      Array.from(batch.puzzleIdentifiers, (id) => Math.floor((id - 1) / 10)),
    );
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('is reproducible from the seed and resumable from any reported state', () => {
    const d = dataset([[2, 3], [1], [4, 1, 2], [3], [2, 2]]);
    const all = [...trainBatches(d, { globalBatchSize: 3, seed: 11, epochs: 4 })];
    const again = [...trainBatches(d, { globalBatchSize: 3, seed: 11, epochs: 4 })];
    expect(again.map((b) => Array.from(b.batch.inputs))).toEqual(all.map((b) => Array.from(b.batch.inputs)));
    const cut = 5;
    const state = JSON.parse(JSON.stringify(all[cut - 1]!.state));
    const resumed = [...trainBatches(d, { globalBatchSize: 3, seed: 11, epochs: 4, resume: state })];
    expect(resumed.map((b) => Array.from(b.batch.inputs))).toEqual(all.slice(cut).map((b) => Array.from(b.batch.inputs)));
  });
});

describe('testBatches', () => {
  it('walks every example in order; the last batch holds only what is left, and a limit stops early', () => {
    const d = dataset([[2, 1], [3]]);
    const batches = [...testBatches(d, 4)];
    expect(batches.map((b) => b.count)).toEqual([4, 2]);
    expect(Array.from(batches[0]!.batch.puzzleIdentifiers)).toEqual([1, 1, 2, 11]);
    const last = batches[1]!.batch;
    expect(last.size).toBe(2);
    expect(Array.from(last.inputs)).toEqual([5, 5, 6, 6]);
    expect(Array.from(last.puzzleIdentifiers)).toEqual([11, 11]);
    const limited = [...testBatches(d, 4, 3)];
    expect(limited.map((b) => [b.start, b.count, b.batch.size])).toEqual([[0, 3, 3]]);
  });
});
