// Shared by the sample-* kernels: the sampler's parameters, the layout of its work buffer, order-preserving keys
// and the counter-based RNG. Pure functions only (no bindings); see lib/sample-logit.wgsl for the logit reader.

// Written by GpuSampler.setParams (src/kernels/sample.ts packs the same field order).
struct SampleParams {
  vocab: u32,          // V
  k: u32,              // candidates: min(top_k or MAX_CAND, MAX_CAND, V)
  flags: u32,          // FLAG_*
  logits_offset: u32,  // element offset of the logits row in its buffer
  softcap: f32,        // final logit softcap applied on read (FLAG_SOFTCAP)
  inv_temp: f32,       // 1 / temperature
  top_p: f32,
  log_min_p: f32,      // ln(min_p), or -3e38 when min_p = 0
  repetition: f32,
  presence: f32,
  frequency: f32,
  groups: u32,         // workgroups of the full-vocabulary passes (argmax partials)
  draws: u32,          // draws per step (1; more only in tests: counters step .. step + draws - 1)
}

const FLAG_PENALTY: u32 = 1u;
const FLAG_BIAS: u32 = 2u;
const FLAG_SOFTCAP: u32 = 4u;
const FLAG_ACCEPT: u32 = 8u;

// Per-op uniform of sample-select and sample-refine: which radix level (0, 1, 2) the op handles.
struct Level { level: u32 }

// Radix levels over the 32-bit key: level 0 = bits 31..24 (256 bins, sample-histogram), level 1 = bits 23..12 and
// level 2 = bits 11..0 (4096 bins each, sample-refine).
fn level_shift(level: u32) -> u32 {
  return select(select(0u, 12u, level == 1u), 24u, level == 0u);
}

fn level_bins(level: u32) -> u32 {
  return select(4096u, 256u, level == 0u);
}

fn level_hist(level: u32) -> u32 {
  return select(HIST1 + (level - 1u) * 4096u, HIST0, level == 0u);
}

// Work buffer (u32 words, all accessed atomically); SAMPLER_LAYOUT in src/kernels/sample.ts mirrors it.
const MAX_CAND: u32 = 1024u;
const TIE_CAP: u32 = 1024u;
const HIST0: u32 = 0u;                // [256] level-0 histogram; all histograms are zeroed by sample-select after use
const HIST1: u32 = 256u;              // [2][4096] level-1 and level-2 histograms
const STATE_PREFIX: u32 = 8448u;      // key bits selected so far; after level 2 the threshold key T
const STATE_RANK: u32 = 8449u;        // rank still to take inside the current bucket; finally: ties of T to take
const CTL_ABOVE: u32 = 8450u;         // candidates with key > T (compaction counter, zeroed by sample-draw)
const CTL_TIE: u32 = 8451u;           // elements with key == T (compaction counter, zeroed by sample-draw)
const CAND: u32 = 8452u;              // [MAX_CAND] ids with key > T
const TIES: u32 = 9476u;              // [TIE_CAP] ids with key == T (first TIE_CAP in arrival order)
const PARTIALS: u32 = 10500u;         // [256][2] (key, id) per workgroup of sample-argmax
const OUT_COUNT: u32 = 11012u;        // k, the number of sorted candidates
const OUT_KEPT: u32 = 11013u;         // candidates kept by top-p and min-p
const OUT_IDS: u32 = 11014u;          // [MAX_CAND] candidate ids, best first
const OUT_PROBS: u32 = 12038u;        // [MAX_CAND] f32 bits: final probability (0 beyond OUT_KEPT)

// Token id the final passes write when the best adjusted logit is not finite (NON_FINITE_TOKEN in kernels/sample.ts).
const NON_FINITE_TOKEN: u32 = 0xffffffffu;
// The f32 bits shaders/token-mask.wgsl writes over a disallowed logit: a NaN payload no arithmetic produces, so a
// masked token is told apart from a broken (NaN / infinite) logit (MASKED_LOGIT_BITS in src/reference/token-mask.ts).
const MASKED_LOGIT_BITS: u32 = 0xffffffffu;
// Keys at or above this one belong to +inf (or NaN bits): a non-finite best candidate.
const KEY_POS_INF: u32 = 0xff800000u;

// Order-preserving map f32 -> u32 (larger float, larger key). -0 is folded into +0 and NaN into +inf by the caller.
fn bits_key(b: u32) -> u32 {
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn key_f32(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

// (key desc, id asc): does (ka, ia) rank before (kb, ib)?
fn ranks_before(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka > kb || (ka == kb && ia < ib);
}

// lowbias32; the CPU twin is hash32 in src/runtime/sampler.ts.
fn hash32(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

// Uniform in [0, 1) with 24 bits, exactly counterUniform(seed, counter) of src/runtime/sampler.ts.
fn counter_uniform(seed: u32, counter: u32) -> f32 {
  return f32(hash32(hash32(seed) ^ counter) >> 8u) * (1.0 / 16777216.0);
}
