// sample-argmax-final (greedy, pass 2 of 2): the best of the sp.groups partials -> out[0]; counts it when FLAG_ACCEPT.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 storage  counts  u32 [V]    read_write: counts[token] += 1 when FLAG_ACCEPT
//   2 storage  work    atomic u32 [SAMPLER_LAYOUT.words]; reads PARTIALS
//   3 storage  out     u32 [1]    the token id, or NON_FINITE_TOKEN when the best logit is NaN / infinite
// grid: 1 workgroup. Needs lib/sample-common.wgsl, lib/sample-best.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<storage, read_write> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> work: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var bk = 0u;
  var bi = 0xffffffffu;
  if (lid < sp.groups) {
    bk = atomicLoad(&work[PARTIALS + 2u * lid]);
    bi = atomicLoad(&work[PARTIALS + 2u * lid + 1u]);
  }
  let best = workgroup_best(bk, bi, lid);
  if (lid == 0u) {
    let token = select(best.y, NON_FINITE_TOKEN, best.x >= KEY_POS_INF);
    out[0] = token;
    if ((sp.flags & FLAG_ACCEPT) != 0u && token < sp.vocab) { counts[token] += 1u; }
  }
}
