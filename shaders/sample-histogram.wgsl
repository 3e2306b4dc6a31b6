// sample-histogram (top-k select, level 0): histogram of the top 8 bits of the keys of all adjusted logits.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 storage  logits  f32 [.., logits_offset + V]
//   2 storage  counts  u32 [V]
//   3 storage  bias    f32 [V]
//   4 storage  work    atomic u32; adds into HIST0 [256] (zero on entry)
// grid: sp.groups workgroups, grid-stride over V; a workgroup histogram in shared memory (which starts zeroed), then
// one global add per non-empty bin. Kept to 256 bins: workgroup memory costs per workgroup (zeroing, and on
// SwiftShader far more). Needs lib/sample-common.wgsl, lib/sample-logit.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> work: array<atomic<u32>>;

var<workgroup> local_hist: array<atomic<u32>, 256>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  for (var i = wid.x * WG + lid; i < sp.vocab; i += nwg.x * WG) {
    atomicAdd(&local_hist[key_of(i) >> 24u], 1u);
  }
  workgroupBarrier();
  let c = atomicLoad(&local_hist[lid]);
  if (c > 0u) { atomicAdd(&work[HIST0 + lid], c); }
}
