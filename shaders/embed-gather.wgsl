// embed-gather: out[r, k] = W[tokens[r], k] * scale, for the token rows that fall in one part (rows
// first_row .. first_row + R) of a packed table (src/kernels/weight-layout.ts); exact dequantized values.
// Concatenated after: lib/weight-common.wgsl, lib/weight-TYPE.wgsl (bindings 3..6).
// bindings (group 0):
//   0 uniform  p       { m, R, ng, K, first_row, total_rows, out_off, out_stride, scale, zero_invalid }
//   1 storage  tokens  u32 [m]                                   (read)
//   2 storage  out     f32 [m, out_stride] from element out_off  (read_write; columns 0 .. K)
//   3.. storage        the part's packed table arrays            (read)
// grid: ceil(m * ng / WG) workgroups (x, y split), one thread per (token row, 32-element granule).
// Ids >= total_rows write zeros when zero_invalid (set on one part only).
override WG: u32 = 64u;

struct Params { m: u32, R: u32, ng: u32, K: u32, first_row: u32, total_rows: u32, out_off: u32, out_stride: u32,
                scale: f32, zero_invalid: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// 4 dequantized weights (a * code + b: one rounding, as ggml) times scale, elements i..i+3 of the granule.
fn put(base: u32, i: u32, n: u32, w: vec4<f32>) {
  let v = w * p.scale;
  for (var c = 0u; c < 4u; c++) {
    if (i + c < n) { out[base + i + c] = v[c]; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = (wid.y * nwg.x + wid.x) * WG + lid;
  let G = p.ng;
  if (t >= p.m * G) { return; }
  let r = t / G;
  let gi = t % G;
  let tok = tokens[r];
  let base = p.out_off + r * p.out_stride + gi * 32u;
  let n = min(32u, p.K - gi * 32u);
  if (tok >= p.first_row && tok - p.first_row < p.R) {
    let row = tok - p.first_row;
    let g = w_gran(gi, row, p.R);
    put(base, 0u, n, g.a0 * g.c0 + g.b0);
    put(base, 4u, n, g.a0 * g.c1 + g.b0);
    put(base, 8u, n, g.a0 * g.c2 + g.b0);
    put(base, 12u, n, g.a0 * g.c3 + g.b0);
    put(base, 16u, n, g.a1 * g.c4 + g.b1);
    put(base, 20u, n, g.a1 * g.c5 + g.b1);
    put(base, 24u, n, g.a1 * g.c6 + g.b1);
    put(base, 28u, n, g.a1 * g.c7 + g.b1);
  } else if (p.zero_invalid != 0u && tok >= p.total_rows) {
    for (var e = 0u; e < n; e++) { out[base + e] = 0.0; }
  }
}
