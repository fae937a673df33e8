// The fused attention backward's inputs after its stats pass (attention-backward.wgsl and
// attention-subgroup-backward.wgsl include this): q, k, v, dO are [heads, seq, HEAD_DIM4] vec4
// rows, mask the [seqQ, seqK] additive mask (a placeholder without HAS_MASK), stats the
// per-query-row (lse, dO . O).
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read> dO: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> stats: array<vec2<f32>>;
