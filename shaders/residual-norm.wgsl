// residual-norm: the sandwich-norm residual add of the decoder layer, optionally with the layer scalar and the
// next norm fused in:
//   x[r, :]      = (x[r, :] + RMSNorm(branch[r, :]; w)) * scale          (scale = layer scalar, 1 = none)
//   y_next[r, :] = RMSNorm(x[r, :]; w_next)                              (HAS_NEXT only, from the updated x)
// bindings (group 0):
//   0 uniform  p       { rows, n, eps, scale, eps_next }
//   1 storage  x       f32 [rows, n]   read_write, updated in place
//   2 storage  branch  f32 [rows, n]
//   3 storage  w       f32 [n]
//   4 storage  w_next  f32 [n]         (read only when HAS_NEXT)
//   5 storage  y_next  f32 [rows, n]   (written only when HAS_NEXT; must not alias x or branch)
// grid: one workgroup per row (x, y split for > 65535 rows); WG threads stride over n.
override WG: u32 = 128u;
override HAS_NEXT: bool = false;

struct Params { rows: u32, n: u32, eps: f32, scale: f32, eps_next: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> branch: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> w_next: array<f32>;
@group(0) @binding(5) var<storage, read_write> y_next: array<f32>;

var<workgroup> partial: array<f32, WG>;

// Sum of `v` over the workgroup (every invocation gets the result). Call from uniform control flow.
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.n;
  var ss = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    let b = branch[base + i];
    ss += b * b;
  }
  let inv = inverseSqrt(workgroup_sum(ss, lid) / f32(p.n) + p.eps);
  var ss_next = 0.0;
  for (var i = lid; i < p.n; i += WG) {
    let v = (x[base + i] + branch[base + i] * inv * w[i]) * p.scale;
    x[base + i] = v;
    ss_next += v * v;
  }
  if (HAS_NEXT) {
    // Each invocation re-reads only the elements it wrote itself, so no storage barrier is needed.
    let inv_next = inverseSqrt(workgroup_sum(ss_next, lid) / f32(p.n) + p.eps_next);
    for (var i = lid; i < p.n; i += WG) {
      y_next[base + i] = x[base + i] * inv_next * w_next[i];
    }
  }
}
