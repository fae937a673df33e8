/** Per-example values by difficulty bucket (Sudoku ratings: solver backtracks, as in Sudoku-Extreme). */

export interface DifficultyBucket {
  label: string;
  /** Inclusive rating range. */
  min: number;
  max: number;
  count: number;
  exact_accuracy: number;
}

/** Bucket edges: 0, 1-2, 3-9, 10-99, 100+ backtracks. */
const EDGES: [number, number][] = [
  [0, 0],
  [1, 2],
  [3, 9],
  [10, 99],
  [100, Infinity],
];

/** The mean of `values` over the examples of each non-empty bucket. */
export function bucketMeans(ratings: ArrayLike<number>, values: ArrayLike<number>): { label: string; min: number; max: number; count: number; mean: number }[] {
  return EDGES.map(([min, max]) => {
    let count = 0;
    let sum = 0;
    for (let i = 0; i < ratings.length; i++) {
      const r = ratings[i]!;
      if (r < min || r > max) continue;
      count++;
      sum += values[i]!;
    }
    const label = max === Infinity ? `${min}+` : min === max ? `${min}` : `${min}-${max}`;
    return { label, min, max, count, mean: count > 0 ? sum / count : 0 };
  }).filter((b) => b.count > 0);
}

export function difficultyBuckets(ratings: ArrayLike<number>, exact: ArrayLike<number>): DifficultyBucket[] {
  return bucketMeans(ratings, exact).map(({ mean, ...b }) => ({ ...b, exact_accuracy: mean }));
}
