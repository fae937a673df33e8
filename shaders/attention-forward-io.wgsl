// The forward attention kernels' constants, parameters and bindings (attention.wgsl and
// attention-subgroup.wgsl include this): q, k, v, o are [heads, seq, HEAD_DIM4] vec4 rows.
const RB: u32 = ${RB}u;
const BLOCKED: f32 = -3.0e38;

struct Params {
  seqQ: u32,
  seqK: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
// [seqQ, seqK] additive mask; a 1-element placeholder without HAS_MASK.
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> o: array<vec4<f32>>;
// Written as bits so that -Infinity (0xff800000) can be stored without computing an infinity.
@group(0) @binding(5) var<storage, read_write> lse: array<u32>;
@group(0) @binding(6) var<uniform> p: Params;
