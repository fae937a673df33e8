// What every fused attention kernel shares (each includes this): its constants, masking and the
// probability of a score. The description's uniforms give p.seqQ, p.seqK and p.scale; `mask` is
// the [seqQ, seqK] additive mask (a 1-element placeholder without HAS_MASK).
// Defines: HEAD_DIM4 (headDim / 4; the host pads headDim to a multiple of 4 with zeros), RB (rows
// per thread), HAS_MASK.
// A score at or below BLOCKED (a mask of -Infinity) is excluded. Infinities are only compared,
// never computed with, because WGSL implementations may assume finite arithmetic.

const D4: u32 = ${HEAD_DIM4}u;
const RB: u32 = ${RB}u;
const BLOCKED: f32 = -3.0e38;

// Score plus mask, with excluded scores pinned to BLOCKED. Rows and keys past the end read the
// mask clamped into range (their results are never stored).
fn masked(score: f32, row: u32, key: u32) -> f32 {
#if HAS_MASK
  let m = mask[min(row, p.seqQ - 1u) * p.seqK + min(key, p.seqK - 1u)];
  return select(score + m, BLOCKED, m <= BLOCKED);
#else
  return score;
#endif
}

// Probability of a masked score given its row's lse: 0 for excluded scores and fully excluded rows.
fn probability(s: f32, rowLse: f32) -> f32 {
  return select(exp(s - rowLse), 0.0, s <= BLOCKED || rowLse <= BLOCKED);
}
