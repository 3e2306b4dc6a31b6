// Shared by logprobs-partials and logprobs-final: parameters, the model logit of a token (softcap, NaN floored),
// and the workgroup merge of (running max, scaled sum, top-5 list) states.
struct LogprobParams {
  vocab: u32,
  groups: u32,    // workgroups of the partials pass (<= 256)
  softcap: f32,   // final logit softcap; 0 = the logits are final
  _pad: u32,
}

const WG: u32 = 256u;
const TOP: u32 = 5u;
// Floor for NaN and -inf logits (a constant -inf is a shader-creation error); exp() of it relative to any real
// maximum is 0, so such tokens get probability 0.
const FLOOR: f32 = -3.0e38;
// One partial: max, sum, TOP values, TOP ids (as f32 bits).
const PARTIAL_WORDS: u32 = 12u;

fn model_logit(v_in: f32, softcap: f32) -> f32 {
  var v = v_in;
  if (softcap > 0.0) { v = softcap * tanh(clamp(v / softcap, -15.0, 15.0)); }
  if (!(v >= FLOOR)) { v = FLOOR; } // NaN and -inf
  return v;
}

var<workgroup> wm: array<f32, WG>;
var<workgroup> ws: array<f32, WG>;
var<workgroup> wv: array<f32, WG * TOP>;
var<workgroup> wi: array<u32, WG * TOP>;

// (a ranks before b): larger value first, lower id first among equals.
fn before(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  return va > vb || (va == vb && ia < ib);
}

// Merges slot `other` into slot `lid` (both lists sorted best first), keeping the best TOP.
fn merge_slots(lid: u32, other: u32) {
  let m1 = wm[lid];
  let m2 = wm[other];
  let m = max(m1, m2);
  ws[lid] = ws[lid] * exp(m1 - m) + ws[other] * exp(m2 - m);
  wm[lid] = m;
  var av: array<f32, TOP>;
  var ai: array<u32, TOP>;
  var a = 0u;
  var b = 0u;
  for (var k = 0u; k < TOP; k++) {
    let va = wv[lid * TOP + a];
    let ia = wi[lid * TOP + a];
    let vb = wv[other * TOP + b];
    let ib = wi[other * TOP + b];
    if (before(va, ia, vb, ib)) { av[k] = va; ai[k] = ia; a++; } else { av[k] = vb; ai[k] = ib; b++; }
  }
  for (var k = 0u; k < TOP; k++) { wv[lid * TOP + k] = av[k]; wi[lid * TOP + k] = ai[k]; }
}

fn reduce_workgroup(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lid < stride) { merge_slots(lid, lid + stride); }
  }
  workgroupBarrier();
}
