/**
 * ARC augmentations (build_arc_dataset.py): a dihedral transform and a permutation of the
 * colours 1..9 (0, the background, stays), recorded in the puzzle name as
 * `{task}_t{tid}_{the 10 mapped colours}`, e.g. `007bbfc7_t3_0371594286`; and undone from it.
 */
import { dihedralTransform, inverseDihedralTransform, type Grid } from '../grid/grid.js';
import type { Rng } from '@hrm-webgpu/tensor';

export interface ArcAugmentation {
  tid: number;
  /** colourMap[c] is the new colour for c; colourMap[0] = 0. */
  colourMap: Int32Array;
}

export function randomArcAugmentation(rng: Rng): ArcAugmentation {
  const colourMap = new Int32Array(10);
  rng.permutation(9).forEach((p, i) => (colourMap[i + 1] = p + 1));
  return { tid: rng.int(0, 7), colourMap };
}

export function applyArcAugmentation(g: Grid, a: ArcAugmentation): Grid {
  const t = dihedralTransform(g, a.tid);
  return { ...t, data: t.data.map((c) => a.colourMap[c]!) };
}

export const augmentedName = (task: string, a: ArcAugmentation): string => `${task}_t${a.tid}_${a.colourMap.join('')}`;

/** The task name and augmentation recorded in a puzzle name (identity for a bare task name). */
export function parseAugmentedName(name: string): { task: string; augmentation: ArcAugmentation | null } {
  const m = /^(.*)_t([0-7])_(\d{10})$/.exec(name);
  if (!m) return { task: name, augmentation: null };
  return { task: m[1]!, augmentation: { tid: Number(m[2]), colourMap: Int32Array.from(m[3]!, Number) } };
}

/** Undoes `a`: the inverse colour map, then the inverse dihedral transform. */
export function undoArcAugmentation(g: Grid, a: ArcAugmentation | null): Grid {
  if (!a) return g;
  const inverse = new Int32Array(10);
  a.colourMap.forEach((to, from) => (inverse[to] = from));
  return inverseDihedralTransform({ ...g, data: g.data.map((c) => inverse[c]!) }, a.tid);
}
