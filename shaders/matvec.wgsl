// matvec: y[m, first_row + n] (+)= sum_k W[n, k] * x[m, k], m < p.m (1..8 activation rows), for one part
// (R rows) of a packed weight (src/kernels/weight-layout.ts). f32 activations, f32 accumulation.
// Concatenated after: lib/weight-common.wgsl, lib/weight-TYPE.wgsl (bindings 3..6, w_gran),
// lib/load-x-vec4.wgsl or lib/load-x-f32.wgsl (binding 1, load_x4/load_x1), lib/load-x-tail.wgsl (xq), and
// lib/matvec-x.wgsl or lib/matvec-x-subgroup.wgsl (MvIn, x_granule: how a thread gets a granule's activations).
// bindings (group 0):
//   0 uniform  p     { K, R, ng (32-element granules per row), x_off, x_stride, y_off, y_stride, first_row,
//                      m (activation rows), accumulate (0: y = W x, 1: y += W x) }
//   1 storage  x     f32 [m, x_stride] from element x_off         (read)
//   2 storage  y     f32 [m, y_stride] from element y_off         (read_write; columns first_row .. + R)
//   3.. storage      the part's packed weight arrays, R rows x K   (read)
// grid: ceil(R / (WG_ROWS * RPT)) workgroups (x, y split) of WG_ROWS * LANES threads, row fastest, so the
// threads of a lane read the same plane of adjacent rows (coalesced). A thread owns RPT rows (base + q * WG_ROWS)
// and the granules g = lane + i * LANES: each activation granule it loads serves RPT rows, and an offset weight
// (w = a * q + b) costs b * sum(x) once per granule. LANES > 1 sums lanes in workgroup memory at the end.
// The loop body has no inner loops or branches: SwiftShader pays for every block boundary in the hot loop.
override WG_ROWS: u32 = 64u;
override LANES: u32 = 1u;              // power of two
override RPT: u32 = 1u;                // rows per thread: 1, 2 or 4
override MULTI: bool = false;          // m > 1 (m is then read from p; m == 1 has no activation-row loop)
override TAIL: bool = false;           // K % 32 != 0 (float types): activations past K read as 0

struct Params { K: u32, R: u32, ng: u32, x_off: u32, x_stride: u32, y_off: u32, y_stride: u32, first_row: u32,
                m: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<vec4<f32>, WG_ROWS * LANES>;
const ONE = vec4<f32>(1.0);

// 32 activations and their half sums (for offsets).
struct Xg { x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>,
            x4: vec4<f32>, x5: vec4<f32>, x6: vec4<f32>, x7: vec4<f32>, s0: f32, s1: f32 }

fn xload(e: u32, kk: u32, in: MvIn) -> Xg {
  let v = x_granule(e, kk, in);
  var s0 = 0.0;
  var s1 = 0.0;
  if (W_HAS_OFFSET) {
    s0 = dot((v.x0 + v.x1) + (v.x2 + v.x3), ONE);
    s1 = dot((v.x4 + v.x5) + (v.x6 + v.x7), ONE);
  }
  if (SCALED) {
    return Xg(v.x0 * X_SCALE_LO, v.x1 * X_SCALE_HI, v.x2 * X_SCALE_LO, v.x3 * X_SCALE_HI,
              v.x4 * X_SCALE_LO, v.x5 * X_SCALE_HI, v.x6 * X_SCALE_LO, v.x7 * X_SCALE_HI, s0, s1);
  }
  return Xg(v.x0, v.x1, v.x2, v.x3, v.x4, v.x5, v.x6, v.x7, s0, s1);
}

fn gdot(g: Gran, x: Xg) -> f32 {
  // fma: one instruction instead of two on CPUs, where the decode arithmetic, not memory, sets the pace
  let v0 = fma(g.c3, x.x3, fma(g.c2, x.x2, fma(g.c1, x.x1, g.c0 * x.x0)));
  let v1 = fma(g.c7, x.x7, fma(g.c6, x.x6, fma(g.c5, x.x5, g.c4 * x.x4)));
  var t = g.a0 * dot(v0, ONE) + g.a1 * dot(v1, ONE);
  if (W_HAS_OFFSET) { t += g.b0 * x.s0 + g.b1 * x.s1; }
  return t;
}

// The thread's rows (component q = row q) decoded at one granule.
struct Rows { g0: Gran, g1: Gran, g2: Gran, g3: Gran }

fn rows_gran(g: u32, r: vec4<u32>) -> Rows {
  let g0 = w_gran(g, r.x, p.R);
  var g1 = g0;
  var g2 = g0;
  var g3 = g0;
  if (RPT > 1u) { g1 = w_gran(g, r.y, p.R); }
  if (RPT > 2u) {
    g2 = w_gran(g, r.z, p.R);
    g3 = w_gran(g, r.w, p.R);
  }
  return Rows(g0, g1, g2, g3);
}

fn rows_dot(w: Rows, x: Xg) -> vec4<f32> {
  let d0 = gdot(w.g0, x);
  var d1 = 0.0;
  var d2 = 0.0;
  var d3 = 0.0;
  if (RPT > 1u) { d1 = gdot(w.g1, x); }
  if (RPT > 2u) {
    d2 = gdot(w.g2, x);
    d3 = gdot(w.g3, x);
  }
  return vec4<f32>(d0, d1, d2, d3);
}

fn store(m: u32, row: u32, v: f32) {
  let o = p.y_off + m * p.y_stride + p.first_row + row;
  if (p.accumulate != 0u) { y[o] = y[o] + v; } else { y[o] = v; }
}

@compute @workgroup_size(WG_ROWS * LANES)
fn main(in: MvIn) {
  let lid = in.lid;
  let wid = in.wid;
  let nwg = in.nwg;
  let rr = lid % WG_ROWS;
  let lane = lid / WG_ROWS;
  let base = (wid.y * nwg.x + wid.x) * WG_ROWS * RPT + rr;
  let last = p.R - 1u;  // rows past R compute a duplicate and do not store
  let r = min(vec4<u32>(base) + vec4<u32>(0u, 1u, 2u, 3u) * WG_ROWS, vec4<u32>(last));
  var acc: array<vec4<f32>, 8>;  // [activation row] (row q of the thread in component q)
  var acc0 = vec4<f32>(0.0);     // m == 1: a plain register, no array traffic
  for (var g = lane; g < p.ng; g += LANES) {
    let kk = g * 32u;
    let e = p.x_off + kk;
    let w = rows_gran(g, r);
    if (MULTI) {
      for (var m = 0u; m < p.m; m++) { acc[m] += rows_dot(w, xload(e + m * p.x_stride, kk, in)); }
    } else {
      acc0 += rows_dot(w, xload(e, kk, in));
    }
  }
  if (!MULTI) { acc[0] = acc0; }
  let mcount = select(1u, p.m, MULTI);
  for (var m = 0u; m < mcount; m++) {
    var a = acc[m];
    if (LANES > 1u) {
      red[lid] = a;
      workgroupBarrier();
      for (var s = LANES / 2u; s > 0u; s >>= 1u) {
        if (lane < s) { red[lid] += red[lid + s * WG_ROWS]; }
        workgroupBarrier();
      }
      a = red[rr];
      workgroupBarrier();
    }
    if (lane == 0u) {
      if (base < p.R) { store(m, base, a.x); }
      if (RPT > 1u && base + WG_ROWS < p.R) { store(m, base + WG_ROWS, a.y); }
      if (RPT > 2u && base + 2u * WG_ROWS < p.R) { store(m, base + 2u * WG_ROWS, a.z); }
      if (RPT > 2u && base + 3u * WG_ROWS < p.R) { store(m, base + 3u * WG_ROWS, a.w); }
    }
  }
}
