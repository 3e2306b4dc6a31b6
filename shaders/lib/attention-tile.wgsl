// Online-softmax attention of query vectors against a key range of the KV cache (scale 1.0, f32), shared by
// attention-decode and attention-prefill. Each query vector is split over L lanes: lane l owns the vec4 columns
// l, l + L, ..., (NV of them; head_dim = 4 · L · NV), so cache rows are read coalesced across lanes. Keys go in
// tiles of ATT_BC: every lane writes its partial dot products to workgroup memory, one barrier, then every lane
// of a query sums the L partials in the same order (identical scores in all lanes) and updates its running
// max / denominator / output columns. The partials buffer is double-buffered, so a tile costs one barrier.
// The including shader declares: overrides WG (threads), L, NV; bindings q, k_cache, v_cache as
// array<vec4<f32>> (k_cache/v_cache: [capacity, kv_heads * head_dim], position p in slot p % capacity).
const ATT_MAXV: u32 = 8u; // NV <= ATT_MAXV (head_dim <= 32 · L)
const ATT_BC: u32 = 4u; // keys per tile (8 compiles twice as slowly on SwiftShader for no gain there)
const ATT_NEG: f32 = -3.0e38; // "no score yet"; finite so that exp(ATT_NEG - m) is a clean 0

var<workgroup> att_red: array<f32, 2u * WG * ATT_BC>; // [2][queries][ATT_BC][L] partial dot products
var<private> att_q: array<vec4<f32>, ATT_MAXV>;
var<private> att_o: array<vec4<f32>, ATT_MAXV>; // unnormalised output columns
var<private> att_m: f32; // running max
var<private> att_l: f32; // running denominator

/** First key position visible from `pos` (window 0 = full attention). */
fn att_first(pos: u32, window: u32) -> u32 {
  return select(0u, pos + 1u - window, window > 0u && pos + 1u > window);
}

/** Loads this lane's query columns (q4 = vec4 offset of the query head) and clears the running state. */
fn att_init(q4: u32, lane: u32, live: bool) {
  for (var i = 0u; i < NV; i++) {
    att_q[i] = vec4<f32>(0.0);
    att_o[i] = vec4<f32>(0.0);
    if (live) { att_q[i] = q[q4 + lane + i * L]; }
  }
  att_m = ATT_NEG;
  att_l = 0.0;
}

/**
 * Attends to the keys at positions [k_lo, k_hi) (workgroup-uniform: barriers inside); this query (number mi in
 * the workgroup) may see positions lo..hi inclusive. kv4: vec4 offset of the kv head inside a cache row;
 * row4: vec4 length of a cache row.
 */
fn att_keys(mi: u32, lane: u32, live: bool, lo: u32, hi: u32, k_lo: u32, k_hi: u32,
            kv4: u32, row4: u32, capacity: u32) {
  var buf = 0u;
  for (var t = k_lo; t < k_hi; t += ATT_BC) {
    let red = buf + mi * ATT_BC * L;
    for (var j = 0u; j < ATT_BC; j++) {
      let key = t + j;
      var part = 0.0;
      if (live && key < k_hi) {
        let base = (key % capacity) * row4 + kv4 + lane;
        for (var i = 0u; i < NV; i++) { part += dot(att_q[i], k_cache[base + i * L]); }
      }
      att_red[red + j * L + lane] = part;
    }
    workgroupBarrier();
    var s: array<f32, ATT_BC>;
    var m_new = att_m;
    for (var j = 0u; j < ATT_BC; j++) {
      var x = 0.0;
      for (var l = 0u; l < L; l++) { x += att_red[red + j * L + l]; }
      let key = t + j;
      s[j] = select(ATT_NEG, x, key >= lo && key <= hi && key < k_hi);
      m_new = max(m_new, s[j]);
    }
    let alpha = exp(att_m - m_new);
    att_m = m_new;
    att_l *= alpha;
    for (var i = 0u; i < NV; i++) { att_o[i] *= alpha; }
    for (var j = 0u; j < ATT_BC; j++) {
      let key = t + j;
      if (live && key >= lo && key <= hi && key < k_hi) {
        let pj = exp(s[j] - m_new);
        att_l += pj;
        let base = (key % capacity) * row4 + kv4 + lane;
        for (var i = 0u; i < NV; i++) { att_o[i] += pj * v_cache[base + i * L]; }
      }
    }
    buf = WG * ATT_BC - buf;
  }
}
