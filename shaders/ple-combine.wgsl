// ple-combine: the per-layer inputs of spec §3.2 from the projected context c = W_plm·e and the gathered rows r:
//   out[t, l, :] = (RMSNorm(c[t, l, :] * c_scale; w) + r[t, l, :] * r_scale) * 2^(-1/2)
// with c_scale = H^(-1/2) (applied before the norm, as the spec orders it) and r_scale = √P.
// bindings (group 0):
//   0 uniform  p    { rows, layers, width, c_scale, r_scale, eps }
//   1 storage  c    f32 [rows, layers * width]   read_write (entry point `in_place` overwrites it with out)
//   2 storage  r    f32 [rows, layers * width]   raw per-layer-embedding rows
//   3 storage  w    f32 [width]                  per_layer_projection_norm
//   4 storage  out  f32 [rows, layers * width]   (entry point `main` only; must not alias c or r)
// grid: one workgroup per (row, layer) slice, index = row * layers + layer (x, y split beyond 65535).
override WG: u32 = 64u;

struct Params { rows: u32, layers: u32, width: u32, c_scale: f32, r_scale: f32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> r: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

// 1 / RMS of the scaled slice starting at `base` (every invocation gets it). Call from uniform control flow.
fn slice_inv_rms(base: u32, lid: u32) -> f32 {
  var ss = 0.0;
  for (var i = lid; i < p.width; i += WG) {
    let v = c[base + i] * p.c_scale;
    ss += v * v;
  }
  partial[lid] = ss;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] += partial[lid + s]; }
    workgroupBarrier();
  }
  return inverseSqrt(partial[0] / f32(p.width) + p.eps);
}

fn combined(base: u32, i: u32, inv: f32) -> f32 {
  return (c[base + i] * p.c_scale * inv * w[i] + r[base + i] * p.r_scale) * 0.7071067811865476;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let slice = wid.y * nwg.x + wid.x;
  if (slice >= p.rows * p.layers) { return; }
  let base = slice * p.width;
  let inv = slice_inv_rms(base, lid);
  for (var i = lid; i < p.width; i += WG) { out[base + i] = combined(base, i, inv); }
}

@compute @workgroup_size(WG)
fn in_place(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let slice = wid.y * nwg.x + wid.x;
  if (slice >= p.rows * p.layers) { return; }
  let base = slice * p.width;
  let inv = slice_inv_rms(base, lid);
  // Each invocation overwrites only elements it reads itself, after the reduction's last barrier.
  for (var i = lid; i < p.width; i += WG) { c[base + i] = combined(base, i, inv); }
}
