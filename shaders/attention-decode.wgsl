// attention-decode: one query row (position start_pos) against the KV cache, flash-decoding style. The visible
// keys (all j <= pos, or the last `window`) are split into `chunks` chunks of about equal length, at least
// min_chunk keys each and at most `splits` (the grid's fixed width, sized for the worst case); surplus
// workgroups return at once. `partial` attends one chunk for every query head of one kv head (so K/V is read
// once) and writes unnormalised (output, max, denominator); `merge` (a second dispatch: no cross-workgroup
// synchronisation is needed) combines the chunks per head. Needs lib/step.wgsl and lib/attention-tile.wgsl.
// bindings (group 0):
//   0 uniform  p        { kv_heads, capacity, window, splits, min_chunk, head_dim4 }
//   1 uniform  st       Step (start_pos = position of the query)
//   2 storage  q        f32 [1, kv_heads * G * head_dim]           (partial)
//   3 storage  k_cache  f32 [capacity, kv_heads * head_dim]        (partial; slot = position % capacity)
//   4 storage  v_cache  f32 [capacity, kv_heads * head_dim]        (partial)
//   5 storage  part_o   f32 [heads, splits, head_dim]              (partial writes, merge reads)
//   6 storage  part_ml  f32 [heads, splits, 2]  (max, denominator) (partial writes, merge reads)
//   7 storage  out      f32 [1, heads * head_dim]                  (merge)
// grids: partial (splits, kv_heads) with WG = G · L threads (query head = lid / L); merge (heads) with 64.
// head_dim = 4 · L · NV.
override WG: u32 = 64u;
override L: u32 = 8u;
override NV: u32 = 8u;
override G: u32 = 8u; // query heads per kv head

struct Params { kv_heads: u32, capacity: u32, window: u32, splits: u32, min_chunk: u32, head_dim4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> part_o: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> part_ml: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<vec4<f32>>;

/** Number of chunks the visible keys are split into this step (same formula in both entry points). */
fn active_chunks(n: u32) -> u32 {
  return clamp((n + p.min_chunk - 1u) / p.min_chunk, 1u, p.splits);
}

@compute @workgroup_size(WG)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  let kvh = wid.y;
  let pos = st.start_pos;
  let first = att_first(pos, p.window);
  let n = pos + 1u - first;
  let chunks = active_chunks(n);
  if (c >= chunks) { return; }
  let len = (n + chunks - 1u) / chunks;
  let k_lo = first + c * len;
  let k_hi = min(first + n, k_lo + len); // may be <= k_lo: an empty chunk writes (0, ATT_NEG, 0)

  let mi = lid / L;
  let lane = lid % L;
  let h = kvh * G + mi;
  let d4 = L * NV;
  att_init(h * d4, lane, true);
  att_keys(mi, lane, true, first, pos, k_lo, k_hi, kvh * d4, p.kv_heads * d4, p.capacity);
  let pb = h * p.splits + c;
  for (var i = 0u; i < NV; i++) { part_o[pb * d4 + lane + i * L] = att_o[i]; }
  if (lane == 0u) {
    part_ml[pb * 2u] = att_m;
    part_ml[pb * 2u + 1u] = att_l;
  }
}

const MERGE_WG: u32 = 64u;

@compute @workgroup_size(MERGE_WG)
fn merge(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let pos = st.start_pos;
  let n = pos + 1u - att_first(pos, p.window);
  let chunks = active_chunks(n);
  let pb = h * p.splits;
  var mx = ATT_NEG;
  for (var c = 0u; c < chunks; c++) { mx = max(mx, part_ml[(pb + c) * 2u]); }
  var den = 0.0;
  for (var c = 0u; c < chunks; c++) { den += part_ml[(pb + c) * 2u + 1u] * exp(part_ml[(pb + c) * 2u] - mx); }
  let inv = 1.0 / den;
  let d4 = p.head_dim4;
  for (var d = lid; d < d4; d += MERGE_WG) {
    var acc = vec4<f32>(0.0);
    for (var c = 0u; c < chunks; c++) {
      acc += part_o[(pb + c) * d4 + d] * exp(part_ml[(pb + c) * 2u] - mx);
    }
    out[h * d4 + d] = acc * inv;
  }
}
