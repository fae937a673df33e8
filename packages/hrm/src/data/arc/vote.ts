/**
 * ARC evaluation by voting (arc_eval.ipynb): each predicted canvas is cropped and its
 * augmentation undone; per task and test input, identical grids are pooled and ranked by
 * (votes, mean sigmoid(q_halt)). A test input is correct at k when its answer is among the top k
 * candidates; a task is solved at k when all its test inputs are.
 */
import { gridToRows, type Grid } from '../grid/grid.js';
import { parseAugmentedName, undoArcAugmentation } from './augment.js';
import { cropCanvas } from './canvas.js';

export interface ArcPrediction {
  /** Puzzle name (identifiers.json entry), e.g. `007bbfc7_t3_0371594286`. */
  puzzleName: string;
  /** Input, label and predicted canvases, [900] tokens each. */
  input: Int32Array;
  label: Int32Array;
  prediction: Int32Array;
  qHaltLogit: number;
}

export interface ArcCandidate {
  grid: number[][];
  votes: number;
  meanQHalt: number;
  correct: boolean;
}

export interface ArcTestInputResult {
  /** The test input (un-augmented), as rows. */
  input: number[][];
  /** Candidates, best first (at most `keepCandidates`). */
  candidates: ArcCandidate[];
  /** 1-based rank of the right answer among all candidates; null when never predicted. */
  answerRank: number | null;
}

export interface ArcTaskResult {
  task: string;
  testInputs: ArcTestInputResult[];
  /** solved[k]: every test input's answer in the top k. */
  solved: Record<number, boolean>;
}

export interface ArcReport {
  kind: 'arc';
  tasks: number;
  ks: number[];
  /** Share of tasks solved at k (the ARC metric is passAt[2]). */
  passAt: Record<number, number>;
  /** The notebook's variant: mean over tasks of the share of test inputs correct at k. */
  partialPassAt: Record<number, number>;
  perTask: ArcTaskResult[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const gridKey = (g: Grid) => `${g.rows}x${g.cols}:${g.data.join(',')}`;

interface Pool {
  input: Grid;
  answerKey: string;
  candidates: Map<string, { grid: Grid; votes: number; qSum: number }>;
}

export class ArcVoter {
  /** task -> input key -> pooled predictions */
  private readonly tasks = new Map<string, Map<string, Pool>>();

  add(p: ArcPrediction): void {
    const { task, augmentation } = parseAugmentedName(p.puzzleName);
    const original = (canvas: Int32Array) => undoArcAugmentation(cropCanvas(canvas), augmentation);
    const input = original(p.input);
    const inputs = this.tasks.get(task) ?? new Map<string, Pool>();
    this.tasks.set(task, inputs);
    const pool = inputs.get(gridKey(input)) ?? { input, answerKey: gridKey(original(p.label)), candidates: new Map() };
    inputs.set(gridKey(input), pool);
    const grid = original(p.prediction);
    const entry = pool.candidates.get(gridKey(grid)) ?? { grid, votes: 0, qSum: 0 };
    entry.votes++;
    entry.qSum += sigmoid(p.qHaltLogit);
    pool.candidates.set(gridKey(grid), entry);
  }

  report(ks: number[] = [1, 2], keepCandidates = 2): ArcReport {
    const perTask: ArcTaskResult[] = [...this.tasks.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([task, inputs]) => {
        const testInputs = [...inputs.values()].map((pool) => {
          const ranked = [...pool.candidates.entries()]
            .map(([key, c]) => ({ key, grid: c.grid, votes: c.votes, meanQHalt: c.qSum / c.votes }))
            .sort((a, b) => b.votes - a.votes || b.meanQHalt - a.meanQHalt);
          const rank = ranked.findIndex((c) => c.key === pool.answerKey);
          return {
            input: gridToRows(pool.input),
            candidates: ranked
              .slice(0, keepCandidates)
              .map((c) => ({ grid: gridToRows(c.grid), votes: c.votes, meanQHalt: c.meanQHalt, correct: c.key === pool.answerKey })),
            answerRank: rank < 0 ? null : rank + 1,
          };
        });
        const solved = Object.fromEntries(ks.map((k) => [k, testInputs.every((t) => t.answerRank !== null && t.answerRank <= k)]));
        return { task, testInputs, solved };
      });
    const mean = (f: (t: ArcTaskResult) => number) => (perTask.length ? perTask.reduce((s, t) => s + f(t), 0) / perTask.length : 0);
    const share = (t: ArcTaskResult, k: number) => t.testInputs.filter((i) => i.answerRank !== null && i.answerRank <= k).length / t.testInputs.length;
    return {
      kind: 'arc',
      tasks: perTask.length,
      ks,
      passAt: Object.fromEntries(ks.map((k) => [k, mean((t) => (t.solved[k] ? 1 : 0))])),
      partialPassAt: Object.fromEntries(ks.map((k) => [k, mean((t) => share(t, k))])),
      perTask,
    };
  }
}
