// attention-prefill: query rows at positions start_pos + row against the KV cache, which already holds this
// chunk's K/V. Causal (key j <= i) and, for window > 0, sliding (i - j < window); GQA (head h reads kv head
// h / G); scale 1.0; online softmax in f32. Needs lib/step.wgsl and lib/attention-tile.wgsl.
// bindings (group 0):
//   0 uniform  p        { rows, kv_heads, capacity, window, group }  (group G = query heads per kv head)
//   1 uniform  st       Step (start_pos = position of row 0)
//   2 storage  q        f32 [rows, kv_heads * G * head_dim]
//   3 storage  k_cache  f32 [capacity, kv_heads * head_dim]   (slot = position % capacity)
//   4 storage  v_cache  f32 [capacity, kv_heads * head_dim]
//   5 storage  out      f32 [rows, kv_heads * G * head_dim]
// grid: (query blocks split over x/y, kv_heads). A workgroup takes WG / L consecutive query vectors of one kv
// head, ordered (row, head in group), i.e. every query head that shares the kv head, for one or more rows, so
// each K/V row it reads serves them all; it walks the union of their key ranges.
// head_dim = 4 · L · NV.
override WG: u32 = 128u;
override L: u32 = 8u;
override NV: u32 = 8u;

struct Params { rows: u32, kv_heads: u32, capacity: u32, window: u32, group: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let per_wg = WG / L;
  let G = p.group;
  let q0 = (wid.y * nwg.x + wid.x) * per_wg;
  let nq = p.rows * G;
  if (q0 >= nq) { return; }
  let kvh = wid.z;
  let q_last = min(q0 + per_wg, nq) - 1u;
  let k_lo = att_first(st.start_pos + q0 / G, p.window);
  let k_hi = st.start_pos + q_last / G + 1u;

  let mi = lid / L;
  let lane = lid % L;
  let qi = min(q0 + mi, q_last);
  let live = q0 + mi < nq;
  let row = qi / G;
  let h = kvh * G + qi % G;
  let d4 = L * NV;
  let pos = st.start_pos + row;
  let q4 = (row * p.kv_heads * G + h) * d4;
  att_init(q4, lane, live);
  att_keys(mi, lane, live, att_first(pos, p.window), pos, k_lo, k_hi, kvh * d4, p.kv_heads * d4, p.capacity);
  if (live) {
    let inv = 1.0 / att_l;
    for (var i = 0u; i < NV; i++) { out[q4 + lane + i * L] = att_o[i] * inv; }
  }
}
