/**
 * RoPE tables (spec 2.3): cos/sin [S, head_dim] for positions 0..S-1, the puzzle prefix at 0.
 * For f32 models every step rounds to f32 as the reference computes them in float32, which keeps
 * logits at long positions (ARC/Maze, S = 901) within the fidelity tolerance.
 */
export function ropeTables(seqLen: number, headDim: number, theta: number, f32: boolean): { cos: Float64Array; sin: Float64Array } {
  const r = f32 ? Math.fround : (x: number) => x;
  const half = headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => r(1 / r(theta ** r((2 * i) / headDim))));
  const cos = new Float64Array(seqLen * headDim);
  const sin = new Float64Array(seqLen * headDim);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const angle = r(t * invFreq[i]!);
      for (const j of [i, i + half]) {
        cos[t * headDim + j] = r(Math.cos(angle));
        sin[t * headDim + j] = r(Math.sin(angle));
      }
    }
  }
  return { cos, sin };
}
