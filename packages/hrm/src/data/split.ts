/** Seeded selection helpers shared by the builders: hold-out splits and subsampling. */
import { Rng } from '@hrm-webgpu/tensor';

/** Splits items into (train, test) with `testFraction` of them, chosen at random, in test. */
export function holdOut<T>(items: T[], testFraction: number, seed: number): { train: T[]; test: T[] } {
  if (!(testFraction >= 0 && testFraction < 1)) throw new Error(`the test fraction must be in [0, 1), got ${testFraction}`);
  const order = Rng.fromSeed(seed, 1).permutation(items.length);
  const testCount = Math.round(items.length * testFraction);
  const isTest = new Uint8Array(items.length);
  for (let i = 0; i < testCount; i++) isTest[order[i]!] = 1;
  return { train: items.filter((_, i) => !isTest[i]), test: items.filter((_, i) => isTest[i]) };
}

/** `count` items chosen at random, in their original order (all of them when count >= length). */
export function subsample<T>(items: T[], count: number, seed: number): T[] {
  if (count >= items.length) return items;
  const keep = new Uint8Array(items.length);
  Rng.fromSeed(seed, 2)
    .permutation(items.length)
    .subarray(0, count)
    .forEach((i) => (keep[i] = 1));
  return items.filter((_, i) => keep[i]);
}

/** `count` items drawn uniformly from a stream of unknown length (reservoir sampling), in stream order. */
export function reservoirSample<T>(items: Iterable<T>, count: number, seed: number): T[] {
  const rng = Rng.fromSeed(seed, 3);
  const kept: { index: number; item: T }[] = [];
  let seen = 0;
  for (const item of items) {
    if (kept.length < count) kept.push({ index: seen, item });
    else {
      const slot = rng.int(0, seen);
      if (slot < count) kept[slot] = { index: seen, item };
    }
    seen++;
  }
  return kept.sort((a, b) => a.index - b.index).map((k) => k.item);
}
