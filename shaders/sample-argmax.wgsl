// sample-argmax (greedy, pass 1 of 2): per workgroup, the best (adjusted logit desc, id asc) of its ids.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 storage  logits  f32 [.., logits_offset + V]
//   2 storage  counts  u32 [V]    token counts of the history (read when FLAG_PENALTY)
//   3 storage  bias    f32 [V]    dense logit bias (read when FLAG_BIAS)
//   4 storage  work    atomic u32 [SAMPLER_LAYOUT.words]; writes PARTIALS[wg] = (key, id)
// grid: sp.groups workgroups (<= 256), grid-stride over V. Needs lib/sample-common.wgsl, lib/sample-logit.wgsl,
// lib/sample-best.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> work: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  var bk = 0u; // below every real key (-inf maps to 0x007fffff)
  var bi = 0xffffffffu;
  for (var i = wid.x * WG + lid; i < sp.vocab; i += nwg.x * WG) {
    let k = key_of(i);
    if (k > bk) { bk = k; bi = i; } // ids rise along the loop: strict > keeps the lowest id of a tie
  }
  let best = workgroup_best(bk, bi, lid);
  if (lid == 0u) {
    atomicStore(&work[PARTIALS + 2u * wid.x], best.x);
    atomicStore(&work[PARTIALS + 2u * wid.x + 1u], best.y);
  }
}
