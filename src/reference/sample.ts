// The CPU sampler: the exact semantics the GPU sampler (kernels/sample.ts) implements: bias -> penalties -> greedy |
// temperature -> top-k -> softmax -> top-p -> min-p -> renormalise -> draw. Logits arrive final-softcapped.
import type { SamplingParams } from '../model/generator.js';
import { checkMaskSize, maskAllows } from './token-mask.js';

/** The mask's bit test, for the CPU path's sampler (model/ may import only this reference module). */
export { maskAllows };

/** Most candidates any sampling step considers: top_k = 0 (disabled) or top_k > this is capped here (= kernels' SAMPLER_MAX_CANDIDATES, checked by the GPU test). */
export const MAX_SAMPLING_CANDIDATES = 1024;

/**
 * A logit was NaN or infinite: the weights (or the forward pass) are broken, so no token can be chosen. The GPU
 * sampler's twin writes NON_FINITE_TOKEN instead (kernels/sample.ts), which the generator turns into ModelError.
 */
export class NonFiniteLogitsError extends Error {
  override readonly name = 'NonFiniteLogitsError';
  readonly code = 'NON_FINITE_LOGITS';
  constructor(where: string) {
    super(
      `The model produced a NaN or infinite logit ${where}: its weights are broken (NaN/Inf values, or tensor data of the wrong type). ` +
        'Nothing was sampled; load another copy of the model file.',
    );
  }
}

/** Token id -> number of occurrences in the history the penalties look at. */
export type TokenCounts = ReadonlyMap<number, number>;

const NO_HISTORY: TokenCounts = new Map();

export function countTokens(ids: Iterable<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Number of top-k candidates for a vocabulary of `vocabSize`: min(top_k or the cap, the cap, vocabSize). */
export function effectiveTopK(p: Pick<SamplingParams, 'topK'>, vocabSize: number): number {
  const k = p.topK > 0 ? p.topK : MAX_SAMPLING_CANDIDATES;
  return Math.min(k, MAX_SAMPLING_CANDIDATES, vocabSize);
}

/**
 * Stage 1-2 for every token: a token the allowed-token `mask` forbids -> -inf (never drawn); otherwise a non-finite
 * logit (NaN, +-inf) -> +inf and nothing else (the samplers then refuse it: it ranks first), + logit bias, then for
 * tokens with count c > 0 in the history: repetition penalty (v > 0 ? v / r : v * r), then v -= c * frequency + presence.
 */
export function adjustLogits(logits: ArrayLike<number>, p: SamplingParams, history: TokenCounts = NO_HISTORY, mask?: ArrayLike<number>): Float64Array {
  const v = new Float64Array(logits.length);
  for (let i = 0; i < v.length; i++) v[i] = Number.isFinite(logits[i]) ? logits[i] : Infinity;
  for (const [key, bias] of Object.entries(p.logitBias)) {
    const id = Number(key);
    if (id < v.length && Number.isFinite(logits[id])) v[id] += bias;
  }
  const penalise = p.repetitionPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0;
  if (penalise) {
    for (const [id, c] of history) {
      if (c <= 0 || id < 0 || id >= v.length || !Number.isFinite(logits[id])) continue;
      let x = v[id];
      x = x > 0 ? x / p.repetitionPenalty : x * p.repetitionPenalty;
      v[id] = x - (c * p.frequencyPenalty + p.presencePenalty);
    }
  }
  if (mask) {
    checkMaskSize(mask, v.length);
    for (let i = 0; i < v.length; i++) if (!maskAllows(mask, i)) v[i] = -Infinity;
  }
  return v;
}

/** Index of the largest value, ties to the lowest index. */
export function argmaxLowest(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** (value desc, index asc): true when a ranks before b. */
const before = (v: ArrayLike<number>, a: number, b: number) => v[a] > v[b] || (v[a] === v[b] && a < b);

/** The first k indices in (value desc, index asc) order, in that order. O(V log k). */
export function topKIndices(values: ArrayLike<number>, k: number): Uint32Array {
  k = Math.min(k, values.length);
  // Min-heap (by rank: the root ranks last) of the best k seen so far.
  const heap = new Uint32Array(k);
  let size = 0;
  const worse = (a: number, b: number) => before(values, b, a);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(heap[l], heap[m])) m = l;
      if (r < size && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = 0; i < values.length; i++) {
    if (size < k) {
      let j = size++;
      heap[j] = i;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if (!worse(heap[j], heap[parent])) break;
        [heap[j], heap[parent]] = [heap[parent], heap[j]];
        j = parent;
      }
    } else if (k > 0 && before(values, i, heap[0])) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (before(values, a, b) ? -1 : 1));
}

export interface SamplingDistribution {
  /** The top-k candidates in (adjusted logit desc, id asc) order: [k]. */
  readonly candidates: Uint32Array;
  /** How many leading candidates survive top-p and min-p (>= 1). */
  readonly kept: number;
  /** Probability of each kept candidate after renormalisation: [kept], sums to 1. */
  readonly probs: Float64Array;
  /** Running sums of the unnormalised weights of the kept candidates (the draw searches these): [kept]. */
  readonly cumulative: Float64Array;
}

/** The exact distribution sampleCpu draws from (temperature > 0), or the greedy token with probability 1. */
export function samplingDistribution(
  logits: ArrayLike<number>,
  p: SamplingParams,
  history: TokenCounts = NO_HISTORY,
  mask?: ArrayLike<number>,
): SamplingDistribution {
  const v = adjustLogits(logits, p, history, mask);
  if (p.temperature === 0) {
    const id = argmaxLowest(v);
    if (!Number.isFinite(v[id])) throw new NonFiniteLogitsError(`(token ${id}: ${logits[id]})`);
    return { candidates: Uint32Array.of(id), kept: 1, probs: Float64Array.of(1), cumulative: Float64Array.of(1) };
  }
  const candidates = topKIndices(v, effectiveTopK(p, v.length));
  return distributionOverCandidates(candidates, Float64Array.from(candidates, (id) => v[id]), p, logits);
}

/**
 * Softmax, top-p and min-p of samplingDistribution (temperature > 0) over its top-k `candidates` ((adjusted value
 * desc, id asc) order) with their adjusted values `values` [k]; `logits` only names a non-finite best in the error.
 * The CPU path's wasm sampler (model/cpu-sampler.ts) finds the same candidates its own way and ends here too.
 */
export function distributionOverCandidates(
  candidates: Uint32Array,
  values: ArrayLike<number>,
  p: SamplingParams,
  logits: ArrayLike<number>,
): SamplingDistribution {
  const n = candidates.length;
  const v0 = values[0];
  if (!Number.isFinite(v0)) throw new NonFiniteLogitsError(`(token ${candidates[0]}: ${logits[candidates[0]]})`);
  // Softmax weights relative to the best (exp(0) = 1; equal values, also infinite ones, get weight 1).
  const cum = new Float64Array(n);
  const logMinP = p.minP > 0 ? Math.log(p.minP) : -Infinity;
  let running = 0;
  let keptMinP = 0;
  for (let j = 0; j < n; j++) {
    const x = values[j];
    const z = x === v0 ? 0 : (x - v0) / p.temperature;
    running += x === v0 ? 1 : Math.exp(z);
    cum[j] = running;
    if (x === v0 || z >= logMinP) keptMinP = j + 1; // p_j >= min_p * p_max  <=>  z_j >= ln(min_p)
  }
  // Top-p: the shortest prefix whose probability reaches top_p.
  const threshold = p.topP * cum[n - 1];
  let keptTopP = n;
  for (let j = 0; j < n; j++) {
    if (cum[j] >= threshold) {
      keptTopP = j + 1;
      break;
    }
  }
  const kept = Math.max(1, Math.min(keptTopP, keptMinP));
  const cumulative = cum.slice(0, kept);
  const total = cumulative[kept - 1];
  const probs = new Float64Array(kept);
  for (let j = 0; j < kept; j++) probs[j] = (cumulative[j] - (j ? cumulative[j - 1] : 0)) / total;
  return { candidates, kept, probs, cumulative };
}

/** Index j of the first cumulative[j] > u * total (u in [0, 1)): the inverse-CDF draw both samplers use. */
export function drawFromCumulative(cumulative: ArrayLike<number>, u: number): number {
  const target = u * cumulative[cumulative.length - 1];
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * One token id from `logits` [V] (already final-softcapped). `rng` returns u in [0, 1); it is called once, and not
 * at all when greedy. Use `() => counterUniform(params.seed, step)` for the draw the GPU sampler makes at `step`.
 * `mask`: only tokens whose bit is set may be drawn (the step's allowed-token mask, XGrammar's bit layout).
 */
export function sampleCpu(
  logits: ArrayLike<number>,
  params: SamplingParams,
  history: TokenCounts = NO_HISTORY,
  rng: () => number = Math.random,
  mask?: ArrayLike<number>,
): number {
  const d = samplingDistribution(logits, params, history, mask);
  if (params.temperature === 0) return d.candidates[0];
  return d.candidates[drawFromCumulative(d.cumulative, rng())];
}

/** lowbias32 (a bijective 32-bit integer hash); the WGSL twin is in shaders/lib/sample-common.wgsl. */
function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Counter-based uniform in [0, 1) with 24 bits, identical on the CPU and the GPU: hash(hash(seed) ^ counter). */
export function counterUniform(seed: number, counter: number): number {
  return (hash32((hash32(seed >>> 0) ^ (counter >>> 0)) >>> 0) >>> 8) / 16777216;
}
