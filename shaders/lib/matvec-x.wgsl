// matvec activation granules, plain variant: every thread loads the 32 activations of granule g itself.
struct MvIn {
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
}

struct X8 { x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>,
            x4: vec4<f32>, x5: vec4<f32>, x6: vec4<f32>, x7: vec4<f32> }

fn x_granule(e: u32, kk: u32, in: MvIn) -> X8 {
  return X8(xq(e, kk), xq(e + 4u, kk + 4u), xq(e + 8u, kk + 8u), xq(e + 12u, kk + 12u),
            xq(e + 16u, kk + 16u), xq(e + 20u, kk + 20u), xq(e + 24u, kk + 24u), xq(e + 28u, kk + 28u));
}
