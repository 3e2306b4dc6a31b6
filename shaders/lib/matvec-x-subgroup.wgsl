// matvec activation granules, subgroup variant (CPU adapters, one K lane per row): the threads of a subgroup
// work on the same granule, so its 4 lanes load 8 of the 32 activations each and broadcast them. On SwiftShader a
// storage load is a per-lane gather and a broadcast a register shuffle: 8 gathers instead of 32 per thread.
// Needs subgroups of >= 4 lanes, all active at the same g (LANES = 1); a start-up probe checks it
// (src/kernels/matvec-probe.ts). The source starts with `enable subgroups;` (src/kernels/weight-shaders.ts).
struct MvIn {
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(subgroup_invocation_id) sg_lane: u32,
}

struct X8 { x0: vec4<f32>, x1: vec4<f32>, x2: vec4<f32>, x3: vec4<f32>,
            x4: vec4<f32>, x5: vec4<f32>, x6: vec4<f32>, x7: vec4<f32> }

fn x_granule(e: u32, kk: u32, in: MvIn) -> X8 {
  let o = 4u * (in.sg_lane & 3u);  // lanes >= 4 of a wider subgroup load a duplicate
  let a = xq(e + o, kk + o);
  let b = xq(e + 16u + o, kk + 16u + o);
  return X8(subgroupBroadcast(a, 0u), subgroupBroadcast(a, 1u), subgroupBroadcast(a, 2u), subgroupBroadcast(a, 3u),
            subgroupBroadcast(b, 0u), subgroupBroadcast(b, 1u), subgroupBroadcast(b, 2u), subgroupBroadcast(b, 3u));
}
