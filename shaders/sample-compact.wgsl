// sample-compact (top-k select): collects the ids with key > T (fewer than k) into CAND and those with key == T
// into TIES (first TIE_CAP of them; CTL_TIE counts all), T = STATE_PREFIX from sample-select level 2.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 storage  logits  f32 [.., logits_offset + V]
//   2 storage  counts  u32 [V]
//   3 storage  bias    f32 [V]
//   4 storage  work    atomic u32; CTL_ABOVE / CTL_TIE are zero on entry
// grid: sp.groups workgroups, grid-stride over V. Needs lib/sample-common.wgsl, lib/sample-logit.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> work: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = atomicLoad(&work[STATE_PREFIX]);
  for (var i = wid.x * WG + lid; i < sp.vocab; i += nwg.x * WG) {
    let k = key_of(i);
    if (k > t) {
      let slot = atomicAdd(&work[CTL_ABOVE], 1u);
      if (slot < MAX_CAND) { atomicStore(&work[CAND + slot], i); }
    } else if (k == t) {
      let slot = atomicAdd(&work[CTL_TIE], 1u);
      if (slot < TIE_CAP) { atomicStore(&work[TIES + slot], i); }
    }
  }
}
