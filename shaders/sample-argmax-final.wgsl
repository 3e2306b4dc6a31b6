// sample-argmax-final (greedy, pass 2 of 2): the best of the sp.groups partials -> out[0]; counts it when FLAG_ACCEPT.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 storage  counts  u32 [V]    read_write: counts[token] += 1 when FLAG_ACCEPT
//   2 storage  work    atomic u32 [SAMPLER_LAYOUT.words]; reads PARTIALS
//   3 storage  out     u32 [1]    the token id
// grid: 1 workgroup. Needs lib/sample-common.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> work: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

var<workgroup> best_key: array<u32, WG>;
var<workgroup> best_id: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var bk = 0u;
  var bi = 0xffffffffu;
  if (lid < sp.groups) {
    bk = atomicLoad(&work[PARTIALS + 2u * lid]);
    bi = atomicLoad(&work[PARTIALS + 2u * lid + 1u]);
  }
  best_key[lid] = bk;
  best_id[lid] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s && ranks_before(best_key[lid + s], best_id[lid + s], best_key[lid], best_id[lid])) {
      best_key[lid] = best_key[lid + s];
      best_id[lid] = best_id[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let token = best_id[0];
    out[0] = token;
    if ((sp.flags & FLAG_ACCEPT) != 0u && token < sp.vocab) { counts[token] += 1u; }
  }
}
