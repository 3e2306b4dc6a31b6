// logprobs-partials (pass 1 of 2): per workgroup, the log-sum-exp state (max, sum of exp(x - max)) and the 5 most
// likely ids of its share of the vocabulary, for the OpenAI logprobs of the sampled token.
// bindings (group 0):
//   0 uniform  lp        LogprobParams
//   1 storage  logits    f32 [V]  raw LM-head logits (softcap applied here when lp.softcap > 0)
//   2 storage  partials  f32 [groups * 12]  (max, sum, 5 values, 5 ids as bits)
// grid: lp.groups workgroups, grid-stride over V. Needs lib/logprobs-common.wgsl.
@group(0) @binding(0) var<uniform> lp: LogprobParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  var m = FLOOR;
  var s = 0.0;
  var tv: array<f32, TOP>;
  var ti: array<u32, TOP>;
  for (var k = 0u; k < TOP; k++) { tv[k] = FLOOR; ti[k] = 0xffffffffu; }
  for (var i = wid.x * WG + lid; i < lp.vocab; i += nwg.x * WG) {
    let x = model_logit(logits[i], lp.softcap);
    if (x > m) { s = s * exp(m - x) + 1.0; m = x; } else { s += exp(x - m); }
    // ids rise along the loop: strict > keeps the lowest id first among equal values
    if (x > tv[TOP - 1u]) {
      var j = TOP - 1u;
      while (j > 0u && x > tv[j - 1u]) { tv[j] = tv[j - 1u]; ti[j] = ti[j - 1u]; j--; }
      tv[j] = x;
      ti[j] = i;
    }
  }
  wm[lid] = m;
  ws[lid] = s;
  for (var k = 0u; k < TOP; k++) { wv[lid * TOP + k] = tv[k]; wi[lid * TOP + k] = ti[k]; }
  reduce_workgroup(lid);
  if (lid == 0u) {
    let o = wid.x * PARTIAL_WORDS;
    partials[o] = wm[0];
    partials[o + 1u] = ws[0];
    for (var k = 0u; k < TOP; k++) {
      partials[o + 2u + k] = wv[k];
      partials[o + 7u + k] = bitcast<f32>(wi[k]);
    }
  }
}
