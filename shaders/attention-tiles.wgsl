// Tile staging shared by the workgroup-memory attention kernels (attention.wgsl and the `q` pass of
// attention-backward.wgsl): TILE key and value rows of one head, from key k0 on, copied by the
// workgroup's WORKGROUP_SIZE threads into kTile and vTile (rows past seqK repeat the last one).

var<workgroup> kTile: array<vec4<f32>, TILE * D4>;
var<workgroup> vTile: array<vec4<f32>, TILE * D4>;

fn stageKeyValues(head: u32, k0: u32, t: u32) {
  for (var e = t; e < TILE * D4; e += WORKGROUP_SIZE) {
    let src = (head * p.seqK + min(k0 + e / D4, p.seqK - 1u)) * D4 + e % D4;
    kTile[e] = k[src];
    vTile[e] = v[src];
  }
}
