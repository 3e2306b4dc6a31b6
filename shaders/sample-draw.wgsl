// sample-draw (sampling, last pass): the k candidates (CAND + the lowest-id ties of T) sorted by (adjusted logit desc,
// id asc), softmax of logit / T, top-p, min-p, renormalise, inverse-CDF draw with counter_uniform(seed, step + d).
// Writes the token(s), the sorted candidates and their final probabilities (OUT_*), counts the token when
// FLAG_ACCEPT, and zeroes the compaction counters for the next step.
// bindings (group 0):
//   0 uniform  sp      SampleParams
//   1 uniform  st      Step           (seed, step)
//   2 storage  logits  f32 [.., logits_offset + V]
//   3 storage  counts  u32 [V]        read_write: counts[token] += 1 when FLAG_ACCEPT
//   4 storage  bias    f32 [V]
//   5 storage  work    atomic u32
//   6 storage  out     u32 [sp.draws] token of draw d (d > 0 only in tests: counter step + d); NON_FINITE_TOKEN
//                                    when the best adjusted logit is NaN / infinite
// grid: 1 workgroup. Needs lib/step.wgsl, lib/sample-common.wgsl, lib/sample-logit.wgsl.
const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> work: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> out: array<u32>;

var<workgroup> skey: array<u32, MAX_CAND>;
var<workgroup> sid: array<u32, MAX_CAND>;
var<workgroup> scum: array<f32, MAX_CAND>; // weights, then their running sums
var<workgroup> scan: array<u32, WG>;
var<workgroup> n_above_s: u32;
var<workgroup> n_tie_s: u32;
var<workgroup> need_s: u32;
var<workgroup> taken_s: u32;
var<workgroup> kept_s: u32;
var<workgroup> keep_min_p: atomic<u32>;
var<workgroup> keep_top_p: atomic<u32>;

// Inclusive prefix sum of v over the workgroup (exact: integers). Call from uniform control flow.
fn scan_inclusive(v: u32, lid: u32) -> u32 {
  scan[lid] = v;
  workgroupBarrier();
  for (var off = 1u; off < WG; off <<= 1u) {
    let add = select(0u, scan[max(lid, off) - off], lid >= off);
    workgroupBarrier();
    scan[lid] += add;
    workgroupBarrier();
  }
  return scan[lid];
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let k = sp.k;
  let t = atomicLoad(&work[STATE_PREFIX]);
  if (lid == 0u) {
    n_above_s = min(atomicLoad(&work[CTL_ABOVE]), MAX_CAND);
    n_tie_s = atomicLoad(&work[CTL_TIE]);
    need_s = atomicLoad(&work[STATE_RANK]);
    taken_s = 0u;
    atomicStore(&keep_min_p, 0u);
    atomicStore(&keep_top_p, k);
  }
  let n_above = workgroupUniformLoad(&n_above_s);
  let n_tie = workgroupUniformLoad(&n_tie_s);
  let need = min(workgroupUniformLoad(&need_s), MAX_CAND - n_above);

  // 1. The k candidates: every id above T, then the `need` lowest ids among those equal to T.
  for (var j = lid; j < n_above; j += WG) {
    let i = atomicLoad(&work[CAND + j]);
    skey[j] = key_of(i);
    sid[j] = i;
  }
  if (n_tie <= need) {
    for (var j = lid; j < n_tie; j += WG) {
      skey[n_above + j] = t;
      sid[n_above + j] = atomicLoad(&work[TIES + j]);
    }
  } else if (n_tie <= TIE_CAP) {
    for (var j = lid; j < n_tie; j += WG) { // rank of each tie by id: O(n_tie^2 / WG), at most 4096 each
      let i = atomicLoad(&work[TIES + j]);
      var r = 0u;
      for (var m = 0u; m < n_tie; m++) {
        if (atomicLoad(&work[TIES + m]) < i) { r++; }
      }
      if (r < need) {
        skey[n_above + r] = t;
        sid[n_above + r] = i;
      }
    }
  } else {
    // More ties than TIE_CAP (pathological duplicates): walk the vocabulary in id order until `need` are taken.
    for (var base = 0u; base < sp.vocab; base += WG) {
      let taken = workgroupUniformLoad(&taken_s);
      if (taken >= need) { break; }
      let i = base + lid;
      let tie = i < sp.vocab && key_of(i) == t;
      let incl = scan_inclusive(u32(tie), lid);
      let pos = taken + incl - u32(tie);
      if (tie && pos < need) {
        skey[n_above + pos] = t;
        sid[n_above + pos] = i;
      }
      if (lid == WG - 1u) { taken_s = taken + incl; }
    }
  }
  workgroupBarrier();

  // 2. Bitonic sort of the k candidates, padded to a power of two with entries that rank last.
  var size_p = 1u;
  while (size_p < k) { size_p <<= 1u; }
  for (var j = k + lid; j < size_p; j += WG) {
    skey[j] = 0u;
    sid[j] = 0xffffffffu;
  }
  workgroupBarrier();
  for (var size = 2u; size <= size_p; size <<= 1u) {
    for (var stride = size >> 1u; stride > 0u; stride >>= 1u) {
      for (var q = lid; q < size_p / 2u; q += WG) {
        let a = (q / stride) * 2u * stride + (q % stride);
        let b = a + stride;
        let forward = (a & size) == 0u;
        if (ranks_before(skey[b], sid[b], skey[a], sid[a]) == forward) {
          let tk = skey[a];
          skey[a] = skey[b];
          skey[b] = tk;
          let ti = sid[a];
          sid[a] = sid[b];
          sid[b] = ti;
        }
      }
      workgroupBarrier();
    }
  }

  // 3. Softmax weights relative to the best (equal values get weight 1) and min-p (p_j >= min_p p_0 <=> z_j >= ln min_p).
  let v0 = key_f32(skey[0]);
  let broken = skey[0] >= KEY_POS_INF; // a NaN / infinite logit: the draw writes NON_FINITE_TOKEN
  for (var j = lid; j < k; j += WG) {
    let v = key_f32(skey[j]);
    let same = v == v0;
    let z = (v - v0) * sp.inv_temp;
    let w = select(exp(z), 1.0, same);
    scum[j] = w;
    atomicStore(&work[OUT_PROBS + j], bitcast<u32>(w));
    atomicStore(&work[OUT_IDS + j], sid[j]);
    if (same || z >= sp.log_min_p) { atomicMax(&keep_min_p, j + 1u); }
  }
  workgroupBarrier();
  // Running sums, sequentially: a parallel float scan is not monotonic, and the draw needs monotonic sums.
  if (lid == 0u) {
    var run = 0.0;
    for (var j = 0u; j < k; j++) {
      run += scum[j];
      scum[j] = run;
    }
  }
  workgroupBarrier();

  // 4. Top-p: the shortest prefix whose sum reaches top_p of the total.
  let threshold = sp.top_p * scum[k - 1u];
  for (var j = lid; j < k; j += WG) {
    if (scum[j] >= threshold) { atomicMin(&keep_top_p, j + 1u); }
  }
  workgroupBarrier();
  if (lid == 0u) { kept_s = max(1u, min(atomicLoad(&keep_top_p), atomicLoad(&keep_min_p))); }
  let kept = workgroupUniformLoad(&kept_s);
  let total = scum[kept - 1u];

  // 5. Draw(s): the first running sum above u * total.
  var token = 0u;
  for (var d = lid; d < sp.draws; d += WG) {
    let goal = counter_uniform(st.seed, st.step + d) * total;
    var lo = 0u;
    var hi = kept - 1u;
    while (lo < hi) {
      let mid = (lo + hi) / 2u;
      if (scum[mid] > goal) { hi = mid; } else { lo = mid + 1u; }
    }
    let drawn = select(sid[lo], NON_FINITE_TOKEN, broken);
    out[d] = drawn;
    if (d == 0u) { token = drawn; }
  }

  // 6. Outputs for readers of the candidates, the history count, and the counters for the next step.
  for (var j = lid; j < k; j += WG) {
    let w = bitcast<f32>(atomicLoad(&work[OUT_PROBS + j]));
    atomicStore(&work[OUT_PROBS + j], bitcast<u32>(select(0.0, w / total, j < kept)));
  }
  if (lid == 0u) {
    atomicStore(&work[OUT_COUNT], k);
    atomicStore(&work[OUT_KEPT], kept);
    atomicStore(&work[CTL_ABOVE], 0u);
    atomicStore(&work[CTL_TIE], 0u);
    if ((sp.flags & FLAG_ACCEPT) != 0u && token < sp.vocab) { counts[token] += 1u; }
  }
}
