// Workgroup reduction of (key, id) candidates to the best one (key desc, id asc: ranks_before), shared by both
// argmax passes. The including shader declares `const WG: u32` (a power of two). Call from uniform control flow.
var<workgroup> best_key: array<u32, WG>;
var<workgroup> best_id: array<u32, WG>;

// Every thread offers (key, id); returns the workgroup's best (valid in every thread).
fn workgroup_best(key: u32, id: u32, lid: u32) -> vec2<u32> {
  best_key[lid] = key;
  best_id[lid] = id;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s && ranks_before(best_key[lid + s], best_id[lid + s], best_key[lid], best_id[lid])) {
      best_key[lid] = best_key[lid + s];
      best_id[lid] = best_id[lid + s];
    }
    workgroupBarrier();
  }
  return vec2<u32>(best_key[0], best_id[0]);
}
