// kv-write: stores this chunk's K/V rows in the cache slots of their positions (row r is position start_pos + r,
// slot (start_pos + r) % capacity). Always v_h = RMSNorm(v_h) (no weight, v_norm). K_PREP = true also applies
// k_h = RoPE(RMSNorm(k_h; k_norm)) on the way (k straight from the projection); K_PREP = false copies k as is.
// Needs lib/step.wgsl, lib/rope.wgsl, lib/wg-sum.wgsl. Requires rows <= capacity (else two rows share a slot).
// bindings (group 0):
//   0 uniform  p         { rows, kv_heads, head_dim, capacity, eps }
//   1 uniform  st        Step (start_pos)
//   2 storage  k         f32 [rows, kv_heads * head_dim]
//   3 storage  v         f32 [rows, kv_heads * head_dim]
//   4 storage  k_cache   f32 [capacity, kv_heads * head_dim]   read_write
//   5 storage  v_cache   f32 [capacity, kv_heads * head_dim]   read_write
//   6 storage  k_norm    f32 [head_dim]                        (read only when K_PREP)
//   7 storage  inv_freq  f32 [head_dim / 2]                    (read only when K_PREP)
// grid: one workgroup per (row, kv head), x/y split past 65535; WG threads stride over the head.
override WG: u32 = 64u;
override K_PREP: bool = true;

struct Params { rows: u32, kv_heads: u32, head_dim: u32, capacity: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(6) var<storage, read> k_norm: array<f32>;
@group(0) @binding(7) var<storage, read> inv_freq: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = wid.y * nwg.x + wid.x; // row * kv_heads + head
  if (idx >= p.rows * p.kv_heads) { return; }
  let hd = p.head_dim;
  let row = idx / p.kv_heads;
  let head = idx % p.kv_heads;
  let pos = st.start_pos + row;
  let src = idx * hd;
  let dst = ((pos % p.capacity) * p.kv_heads + head) * hd;

  var ss = vec2<f32>(0.0); // (k, v) sums of squares
  for (var j = lid; j < hd; j += WG) {
    let b = v[src + j];
    ss.y += b * b;
    if (K_PREP) {
      let a = k[src + j];
      ss.x += a * a;
    }
  }
  let tot = wg_sum2(ss, lid);
  let inv = inverseSqrt(tot / f32(hd) + p.eps);
  for (var j = lid; j < hd; j += WG) {
    v_cache[dst + j] = v[src + j] * inv.y;
  }
  if (K_PREP) {
    let half = hd / 2u;
    for (var j = lid; j < half; j += WG) {
      let a = k[src + j] * inv.x * k_norm[j];
      let b = k[src + j + half] * inv.x * k_norm[j + half];
      let cs = rope_cos_sin(pos, inv_freq[j]);
      k_cache[dst + j] = a * cs.x - b * cs.y;
      k_cache[dst + j + half] = b * cs.x + a * cs.y;
    }
  } else {
    for (var j = lid; j < hd; j += WG) {
      k_cache[dst + j] = k[src + j];
    }
  }
}
