// sample-histogram (top-k select, levels 0..2): radix histogram of the keys of the adjusted logits, 11/11/10 bits
// from the top. Level L counts only keys whose higher bits equal the prefix chosen by sample-select levels < L.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 uniform  lv      Level          L (a uniform, not an override: one pipeline for the three levels)
//   2 storage  logits  f32 [.., logits_offset + V]
//   3 storage  counts  u32 [V]
//   4 storage  bias    f32 [V]
//   5 storage  work    atomic u32; reads STATE_PREFIX (L > 0), adds into HIST[L] (zero on entry)
// grid: sp.groups workgroups, grid-stride over V; a workgroup histogram in shared memory, then one global add per
// non-empty bin. Needs lib/sample-common.wgsl, lib/sample-logit.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<uniform> lv: Level;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> counts: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> work: array<atomic<u32>>;

var<workgroup> local_hist: array<atomic<u32>, HIST_BINS>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  for (var b = lid; b < HIST_BINS; b += WG) { atomicStore(&local_hist[b], 0u); }
  workgroupBarrier();
  // Level 0: digit = key >> 21; level 1: bits 20..10 under the 11-bit prefix; level 2: bits 9..0 under 22 bits.
  let level = lv.level;
  let shift = level_shift(level);
  let match_shift = shift + select(11u, 10u, level == 2u); // bits above the digit (unused at level 0)
  let prefix = select(atomicLoad(&work[STATE_PREFIX]), 0u, level == 0u);
  for (var i = wid.x * WG + lid; i < sp.vocab; i += nwg.x * WG) {
    let k = key_of(i);
    if (level == 0u || (k >> match_shift) == (prefix >> match_shift)) {
      atomicAdd(&local_hist[(k >> shift) & 0x7ffu], 1u);
    }
  }
  workgroupBarrier();
  for (var b = lid; b < HIST_BINS; b += WG) {
    let c = atomicLoad(&local_hist[b]);
    if (c > 0u) { atomicAdd(&work[HIST + level * HIST_BINS + b], c); }
  }
}
