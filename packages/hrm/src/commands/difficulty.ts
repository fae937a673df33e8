/** Exact accuracy by difficulty bucket (Sudoku ratings: solver backtracks, as in Sudoku-Extreme). */

export interface DifficultyBucket {
  label: string;
  /** Inclusive rating range. */
  min: number;
  max: number;
  count: number;
  exact_accuracy: number;
}

/** Bucket edges: 0, 1-2, 3-9, 10-99, 100+ backtracks. */
const EDGES: [number, number][] = [[0, 0], [1, 2], [3, 9], [10, 99], [100, Infinity]];

export function difficultyBuckets(ratings: ArrayLike<number>, exact: ArrayLike<number>): DifficultyBucket[] {
  return EDGES.map(([min, max]) => {
    let count = 0;
    let right = 0;
    for (let i = 0; i < ratings.length; i++) {
      const r = ratings[i]!;
      if (r < min || r > max) continue;
      count++;
      right += exact[i]!;
    }
    const label = max === Infinity ? `${min}+` : min === max ? `${min}` : `${min}-${max}`;
    return { label, min, max, count, exact_accuracy: count > 0 ? right / count : 0 };
  }).filter((b) => b.count > 0);
}
