// logprobs-final (pass 2 of 2): merges the partials, then writes the sampled token's log-probability and the top 5
// under the model's distribution softmax(softcap(logits)).
// bindings (group 0):
//   0 uniform  lp        LogprobParams
//   1 storage  logits    f32 [V]
//   2 storage  partials  f32 [groups * 12]
//   3 storage  token     u32 [1]  the sampled id (the sampler's output)
//   4 storage  out       f32 [12] logprob of the token, 5 logprobs, 5 ids (bits), the token id (bits)
// grid: 1 workgroup. Needs lib/logprobs-common.wgsl.
@group(0) @binding(0) var<uniform> lp: LogprobParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> partials: array<f32>;
@group(0) @binding(3) var<storage, read> token: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid < lp.groups) {
    let o = lid * PARTIAL_WORDS;
    wm[lid] = partials[o];
    ws[lid] = partials[o + 1u];
    for (var k = 0u; k < TOP; k++) {
      wv[lid * TOP + k] = partials[o + 2u + k];
      wi[lid * TOP + k] = bitcast<u32>(partials[o + 7u + k]);
    }
  } else {
    wm[lid] = FLOOR;
    ws[lid] = 0.0;
    for (var k = 0u; k < TOP; k++) { wv[lid * TOP + k] = FLOOR; wi[lid * TOP + k] = 0xffffffffu; }
  }
  reduce_workgroup(lid);
  if (lid == 0u) {
    let lse = wm[0] + log(ws[0]);
    let t = token[0];
    var chosen = FLOOR;
    if (t < lp.vocab) { chosen = model_logit(logits[t], lp.softcap); }
    out[0] = chosen - lse;
    for (var k = 0u; k < TOP; k++) {
      out[1u + k] = wv[k] - lse;
      out[6u + k] = bitcast<f32>(wi[k]);
    }
    out[11] = bitcast<f32>(t);
  }
}
