// sample-refine (top-k select, levels 1 and 2): histogram of the next 12 key bits (23..12, then 11..0) of the keys
// inside the bucket chosen so far (their higher bits equal STATE_PREFIX's). Those are normally a small fraction of
// V, so they go straight to the global histogram, and no workgroup memory is used.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 uniform  lv      Level          L = 1 or 2
//   2 storage  logits  f32 [.., logits_offset + V]
//   3 storage  counts  u32 [V]
//   4 storage  bias    f32 [V]
//   5 storage  work    atomic u32; reads STATE_PREFIX, adds into the level's histogram [4096] (zero on entry)
// grid: sp.groups workgroups, grid-stride over V. Needs lib/sample-common.wgsl, lib/sample-logit.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<uniform> lv: Level;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> counts: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> work: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let shift = level_shift(lv.level);
  let match_shift = shift + 12u; // the bits above this level's digit
  let prefix = atomicLoad(&work[STATE_PREFIX]) >> match_shift;
  let hist = level_hist(lv.level);
  for (var i = wid.x * WG + lid; i < sp.vocab; i += nwg.x * WG) {
    let k = key_of(i);
    if ((k >> match_shift) == prefix) {
      atomicAdd(&work[hist + ((k >> shift) & 0xfffu)], 1u);
    }
  }
}
