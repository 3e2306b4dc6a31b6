// rms-norm: y[r, :] = x[r, :] * (mean(x[r, :]^2) + eps)^(-1/2) * w   (w optional: HAS_WEIGHT = 0 for v_norm)
// bindings (group 0):
//   0 uniform  p   { rows, n, eps }
//   1 storage  x   f32 [rows, n]
//   2 storage  w   f32 [n]            (read only when HAS_WEIGHT)
//   3 storage  y   f32 [rows, n]      (may alias nothing)
// grid: one workgroup per row (x, y split for > 65535 rows); WG threads stride over n.
override WG: u32 = 64u;
override HAS_WEIGHT: bool = true;

struct Params { rows: u32, n: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.n;
  var ss = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    let v = x[base + i];
    ss += v * v;
  }
  partial[lid] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let inv = inverseSqrt(partial[0] / f32(p.n) + p.eps);
  for (var i = lid; i < p.n; i += WG) {
    var v = x[base + i] * inv;
    if (HAS_WEIGHT) { v *= w[i]; }
    y[base + i] = v;
  }
}
