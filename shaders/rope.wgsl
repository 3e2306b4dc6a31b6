// rope: half-split RoPE in place on each head of x at position start_pos + row (pairs (j, j + head_dim/2),
// θ = f32(pos) · inv_freq[j]). NORM = true first applies the per-head RMSNorm with weight w (q_norm / k_norm):
// x_h = RoPE(RMSNorm(x_h; w)). Needs lib/step.wgsl, lib/rope.wgsl, lib/wg-sum.wgsl.
// bindings (group 0):
//   0 uniform  p         { rows, heads, head_dim, eps }
//   1 uniform  st        Step (start_pos = position of row 0)
//   2 storage  x         f32 [rows, heads * head_dim]   read_write, in place
//   3 storage  inv_freq  f32 [head_dim / 2]
//   4 storage  w         f32 [head_dim]                 (read only when NORM)
// grid: one workgroup per (row, head), x/y split past 65535; WG threads stride over the head_dim/2 pairs.
override WG: u32 = 64u;
override NORM: bool = false;

struct Params { rows: u32, heads: u32, head_dim: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<uniform> st: Step;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;
@group(0) @binding(3) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = wid.y * nwg.x + wid.x; // row * heads + head
  if (idx >= p.rows * p.heads) { return; }
  let half = p.head_dim / 2u;
  let base = idx * p.head_dim;
  let pos = st.start_pos + idx / p.heads;
  var scale = 1.0;
  if (NORM) {
    var ss = 0.0;
    for (var j = lid; j < p.head_dim; j += WG) {
      let a = x[base + j];
      ss += a * a;
    }
    // the barrier inside also orders every read above before any write below (in-place safety)
    scale = inverseSqrt(wg_sum2(vec2<f32>(ss, 0.0), lid).x / f32(p.head_dim) + p.eps);
  }
  for (var j = lid; j < half; j += WG) {
    var a = x[base + j] * scale;
    var b = x[base + j + half] * scale;
    if (NORM) {
      a *= w[j];
      b *= w[j + half];
    }
    let cs = rope_cos_sin(pos, inv_freq[j]);
    x[base + j] = a * cs.x - b * cs.y;
    x[base + j + half] = b * cs.x + a * cs.y;
  }
}
