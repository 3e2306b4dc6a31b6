// Workgroup sum of a vec2 (two reductions for the price of one): one barrier to publish, every thread adds all WG
// partials in the same order (so all threads get the identical value), one barrier so the buffer can be reused.
// Call from uniform control flow. The including shader declares `override WG: u32`.
var<workgroup> wg_sum_buf: array<vec2<f32>, WG>;

fn wg_sum2(v: vec2<f32>, lid: u32) -> vec2<f32> {
  wg_sum_buf[lid] = v;
  workgroupBarrier();
  var s = vec2<f32>(0.0);
  for (var i = 0u; i < WG; i++) {
    s += wg_sum_buf[i];
  }
  workgroupBarrier();
  return s;
}
