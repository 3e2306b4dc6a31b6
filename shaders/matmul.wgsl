// matmul: Y[m, first_row + n] (+)= sum_k X[m, k] * W[n, k] for m < M activation rows (prefill), for one part
// (R rows) of a packed weight (src/kernels/weight-layout.ts). f32 activations, f32 accumulation.
// Concatenated after: lib/weight-common.wgsl, lib/weight-TYPE.wgsl (bindings 3..6), lib/load-x-*.wgsl (binding 1),
// lib/load-x-tail.wgsl (xq).
// bindings (group 0):
//   0 uniform  p     { K, R, ng (32-element granules per row), x_off, x_stride, y_off, y_stride, first_row, M,
//                      tiles_n (ceil(R / TN)), accumulate (0: Y = X W^T, 1: Y += X W^T) }
//   1 storage  X     f32 [M, x_stride] from element x_off        (read)
//   2 storage  Y     f32 [M, y_stride] from element y_off        (read_write; columns first_row .. + R)
//   3.. storage      the part's packed weight arrays, R rows x K   (read)
// grid: ceil(M / TM) * ceil(R / TN) workgroups (x, y split), tile index = tm * tiles_n + tn; TM = 64.
// Per 32-wide step of K, TN threads dequantize the TN x 32 weight tile (one granule each, exact values) into
// workgroup memory as [k / 4][n] vec4 (whole-vec4 writes, conflict-free reads); then each of the 256 threads
// updates a 4 x 4 register tile: activation rows 4 ty .. 4 ty + 3 (read from X directly: a small operand
// that caches well) and weight rows tx + j * TN/4 (adjacent threads write adjacent outputs). Each dequantized
// weight serves 64 activation rows; threads whose rows are all past M skip the math. Workgroup memory holds only
// the weight tile because every dynamically indexed workgroup load costs SwiftShader ~1 s of shader compile.
override TN: u32 = 64u;                // weight rows per tile (<= threads; multiple of 4)
override TAIL: bool = false;           // K % 32 != 0 (float types)
const TM: u32 = 64u;
override NT: u32 = (TM / 4u) * (TN / 4u);

struct Params { K: u32, R: u32, ng: u32, x_off: u32, x_stride: u32, y_off: u32, y_stride: u32, first_row: u32,
                M: u32, tiles_n: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> ws: array<vec4<f32>, 8u * TN>;  // [k / 4][n]

fn store(m: u32, n: u32, v: f32) {
  if (m < p.M && n < p.R) {
    let o = p.y_off + m * p.y_stride + p.first_row + n;
    if (p.accumulate != 0u) { y[o] = y[o] + v; } else { y[o] = v; }
  }
}

fn store_row(m: u32, n: u32, v: vec4<f32>) {
  store(m, n, v.x);
  store(m, n + TN / 4u, v.y);
  store(m, n + TN / 2u, v.z);
  store(m, n + 3u * (TN / 4u), v.w);
}

@compute @workgroup_size(NT)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let tile = wid.y * nwg.x + wid.x;
  let tn = tile % p.tiles_n;
  let tm = tile / p.tiles_n;  // may be past the last tile on a padded grid: then nothing is stored
  let n0 = tn * TN;
  let m0 = tm * TM;
  let tx = lid % (TN / 4u);
  let ty = lid / (TN / 4u);
  let wrow = min(n0 + lid, p.R - 1u);
  let mrow = m0 + 4u * ty;
  let live = mrow < p.M;
  let lastm = max(p.M, 1u) - 1u;  // rows past M read row M - 1 and are not stored
  let xe0 = p.x_off + min(mrow, lastm) * p.x_stride;
  let xe1 = p.x_off + min(mrow + 1u, lastm) * p.x_stride;
  let xe2 = p.x_off + min(mrow + 2u, lastm) * p.x_stride;
  let xe3 = p.x_off + min(mrow + 3u, lastm) * p.x_stride;
  var acc0 = vec4<f32>(0.0);  // activation row mrow (component j = weight row tx + j * TN/4)
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var kg = 0u; kg < p.ng; kg++) {
    if (lid < TN) {
      let g = w_gran(kg, wrow, p.R);
      ws[lid] = g.a0 * g.c0 + g.b0;
      ws[TN + lid] = g.a0 * g.c1 + g.b0;
      ws[2u * TN + lid] = g.a0 * g.c2 + g.b0;
      ws[3u * TN + lid] = g.a0 * g.c3 + g.b0;
      ws[4u * TN + lid] = g.a1 * g.c4 + g.b1;
      ws[5u * TN + lid] = g.a1 * g.c5 + g.b1;
      ws[6u * TN + lid] = g.a1 * g.c6 + g.b1;
      ws[7u * TN + lid] = g.a1 * g.c7 + g.b1;
    }
    workgroupBarrier();
    if (live) {
      for (var q = 0u; q < 8u; q++) {
        let kk = kg * 32u + 4u * q;
        let a0 = xq(xe0 + kk, kk);
        let a1 = xq(xe1 + kk, kk);
        let a2 = xq(xe2 + kk, kk);
        let a3 = xq(xe3 + kk, kk);
        let b0 = ws[q * TN + tx];
        let b1 = ws[q * TN + tx + TN / 4u];
        let b2 = ws[q * TN + tx + TN / 2u];
        let b3 = ws[q * TN + tx + 3u * (TN / 4u)];
        acc0 += vec4<f32>(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
        acc1 += vec4<f32>(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
        acc2 += vec4<f32>(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
        acc3 += vec4<f32>(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
      }
    }
    workgroupBarrier();
  }
  let n = n0 + tx;
  store_row(mrow, n, acc0);
  store_row(mrow + 1u, n, acc1);
  store_row(mrow + 2u, n, acc2);
  store_row(mrow + 3u, n, acc3);
}
