/**
 * ARC datasets in the official layout (build_arc_dataset.py). Each task is one group per split
 * it reaches: the original puzzle first, then up to `augmentations` distinct augmented copies.
 * Split rule: all pairs of training tasks and the demonstration pairs of evaluation tasks go to
 * `train`; the test pairs of evaluation tasks go to `test`, under the same puzzle name (so the
 * same identifier) as their demonstrations. In `train`, every example but one random example per
 * puzzle is placed at a random offset (translation); `test` grids sit at the top-left corner.
 */
import { DatasetBuilder, IGNORE_LABEL_ID, type PuzzleDataset } from '../dataset.js';
import type { Grid } from '../grid/grid.js';
import type { OnProgress } from '../progress.js';
import { Rng } from '@hrm-webgpu/tensor';
import { applyArcAugmentation, augmentedName, randomArcAugmentation } from './augment.js';
import { ARC_PAD, ARC_SEQ_LEN, ARC_VOCAB_SIZE, encodeCanvas } from './canvas.js';
import { ARC_MAX_SIZE, type ArcPair, type ArcTask } from './task.js';

export type ArcSourceSplit = 'training' | 'evaluation';

export interface NamedArcTask {
  name: string;
  split: ArcSourceSplit;
  task: ArcTask;
}

export interface ArcBuildOptions {
  /** Augmented copies per task (the official builder uses 1000). */
  augmentations: number;
  seed: number;
  /** Draws allowed per wanted augmentation before accepting fewer (duplicates are skipped). */
  retriesFactor?: number;
  onProgress?: OnProgress;
}

export interface ArcPuzzle extends ArcTask {
  name: string;
}

/** A puzzle as one split holds it: the examples that went to that split. */
interface SplitPuzzle {
  name: string;
  examples: ArcPair[];
}

const gridKey = (g: Grid) => `${g.rows}x${g.cols}:${g.data.join('')}`;

/** Identifies a puzzle by its set of examples, as the official de-duplication hash does. */
const puzzleKey = (p: ArcPuzzle) =>
  [...p.train, ...p.test]
    .map((e) => `${gridKey(e.input)}|${gridKey(e.output)}`)
    .sort()
    .join(';');

/** The original puzzle followed by distinct augmentations of it. */
export function augmentArcTask(name: string, task: ArcTask, augmentations: number, retriesFactor: number, rng: Rng): ArcPuzzle[] {
  const original = { name, ...task };
  const group: ArcPuzzle[] = [original];
  const seen = new Set([puzzleKey(original)]);
  for (let trial = 0; trial < retriesFactor * augmentations && group.length < augmentations + 1; trial++) {
    const a = randomArcAugmentation(rng);
    const map = (pairs: ArcPair[]) => pairs.map((p) => ({ input: applyArcAugmentation(p.input, a), output: applyArcAugmentation(p.output, a) }));
    const puzzle = { name: augmentedName(name, a), train: map(task.train), test: map(task.test) };
    const key = puzzleKey(puzzle);
    if (seen.has(key)) continue;
    seen.add(key);
    group.push(puzzle);
  }
  return group;
}

function encodePair(p: ArcPair, translate: boolean, rng: Rng): { input: Int32Array; label: Int32Array } {
  let top = 0;
  let left = 0;
  if (translate) {
    top = rng.int(0, ARC_MAX_SIZE - Math.max(p.input.rows, p.output.rows));
    left = rng.int(0, ARC_MAX_SIZE - Math.max(p.input.cols, p.output.cols));
  }
  const label = encodeCanvas(p.output, top, left).map((t) => (t === ARC_PAD ? IGNORE_LABEL_ID : t));
  return { input: encodeCanvas(p.input, top, left), label };
}

export function buildArcDataset(tasks: NamedArcTask[], opts: ArcBuildOptions): { train: PuzzleDataset; test: PuzzleDataset } {
  const rng = Rng.fromSeed(opts.seed);
  const groups = { train: [] as SplitPuzzle[][], test: [] as SplitPuzzle[][] };
  const addGroup = (split: SplitPuzzle[][], group: SplitPuzzle[]) => {
    if (group[0]!.examples.length > 0) split.push(group);
  };
  tasks.forEach((t, i) => {
    const group = augmentArcTask(t.name, t.task, opts.augmentations, opts.retriesFactor ?? 5, rng);
    if (t.split === 'training') {
      addGroup(
        groups.train,
        group.map((p) => ({ name: p.name, examples: [...p.train, ...p.test] })),
      );
    } else {
      addGroup(
        groups.train,
        group.map((p) => ({ name: p.name, examples: p.train })),
      );
      addGroup(
        groups.test,
        group.map((p) => ({ name: p.name, examples: p.test })),
      );
    }
    opts.onProgress?.(i + 1, tasks.length);
  });

  const identifiers = ['<blank>'];
  const idOf = new Map<string, number>();
  for (const puzzle of [...groups.train, ...groups.test].flat()) {
    if (!idOf.has(puzzle.name)) {
      idOf.set(puzzle.name, identifiers.length);
      identifiers.push(puzzle.name);
    }
  }

  const buildSplit = (split: SplitPuzzle[][], translate: boolean): PuzzleDataset => {
    const builder = new DatasetBuilder(ARC_SEQ_LEN);
    for (const group of split) {
      for (const puzzle of group) {
        const untranslated = rng.int(0, puzzle.examples.length - 1);
        builder.addPuzzle(
          idOf.get(puzzle.name)!,
          puzzle.examples.map((pair, k) => encodePair(pair, translate && k !== untranslated, rng)),
        );
      }
      builder.endGroup();
    }
    return builder.finish(
      { pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: ARC_VOCAB_SIZE, num_puzzle_identifiers: identifiers.length },
      { identifiers },
    );
  };
  return { train: buildSplit(groups.train, true), test: buildSplit(groups.test, false) };
}
