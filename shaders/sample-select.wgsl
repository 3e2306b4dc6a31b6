// sample-select (top-k select, levels 0..2): finds the bucket of level L's histogram that holds the rank-th largest key,
// appends its digit to STATE_PREFIX and leaves in STATE_RANK the rank still to take inside it; then zeroes
// the histogram for the next step. After level 2, STATE_PREFIX is the k-th largest key T and STATE_RANK the number
// of ids with key == T that belong to the top k (the lowest ids among them).
// bindings (group 0):
//   0 uniform  sp    SampleParams   (level 0 starts from rank sp.k)
//   1 uniform  lv    Level          the level L
//   2 storage  work  atomic u32
// grid: 1 workgroup; with n bins (256 or 4096) and per = n / 256, invocation t owns bins n-1-per*t down to
// n-per*(t+1). Needs lib/sample-common.wgsl.
const WG: u32 = 256u;
const MAX_PER: u32 = 16u; // 4096 bins / WG

@group(0) @binding(0) var<uniform> sp: SampleParams;
@group(0) @binding(1) var<uniform> lv: Level;
@group(0) @binding(2) var<storage, read_write> work: array<atomic<u32>>;

var<workgroup> sums: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let level = lv.level;
  let shift = level_shift(level);
  let rank = select(atomicLoad(&work[STATE_RANK]), sp.k, level == 0u);
  let prefix = select(atomicLoad(&work[STATE_PREFIX]), 0u, level == 0u);
  let hist = level_hist(level);
  let per = level_bins(level) / WG;
  let top = hist + level_bins(level) - 1u - per * lid; // this invocation's highest bin
  var mine: array<u32, MAX_PER>;
  var s = 0u;
  for (var j = 0u; j < per; j++) {
    mine[j] = atomicLoad(&work[top - j]);
    s += mine[j];
  }
  // Inclusive scan of the per-invocation sums, highest bins first.
  sums[lid] = s;
  workgroupBarrier();
  for (var off = 1u; off < WG; off <<= 1u) {
    let add = select(0u, sums[max(lid, off) - off], lid >= off);
    workgroupBarrier();
    sums[lid] += add;
    workgroupBarrier();
  }
  let incl = sums[lid];
  var above = incl - s;
  if (above < rank && rank <= incl) {
    for (var j = 0u; j < per; j++) {
      if (above + mine[j] >= rank) {
        let digit = (top - j) - hist;
        atomicStore(&work[STATE_PREFIX], prefix | (digit << shift));
        atomicStore(&work[STATE_RANK], rank - above);
        break;
      }
      above += mine[j];
    }
  }
  for (var j = 0u; j < per; j++) { atomicStore(&work[top - j], 0u); }
}
