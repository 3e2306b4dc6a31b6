// copy-rows: dst[dst_offset + i] = src[src_offset + i] for i < n (moves the last prompt row between buffers
// without leaving the compute pass).
// bindings (group 0):
//   0 uniform  p    { n, src_offset, dst_offset }   (in f32 elements)
//   1 storage  src  f32 [..]
//   2 storage  dst  f32 [..]
// grid: ceil(n / WG) workgroups (x, y split when large).
override WG: u32 = 256u;

struct Params { n: u32, src_offset: u32, dst_offset: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i < p.n) { dst[p.dst_offset + i] = src[p.src_offset + i]; }
}
