// bandwidth-copy: dst = src as vec4<u32>, the yardstick for memory bandwidth (benchmarks report kernel GB/s
// against it). Fewer, fatter workgroups that loop (SwiftShader pays per workgroup; real GPUs don't mind).
// bindings (group 0):
//   0 uniform  p    { n4 }          (number of vec4<u32>)
//   1 storage  src  vec4<u32> [n4]
//   2 storage  dst  vec4<u32> [n4]
// grid: any number of workgroups; each thread strides over the array by the total thread count.
override WG: u32 = 256u;

struct Params { n4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < p.n4; i += stride) { dst[i] = src[i]; }
}
