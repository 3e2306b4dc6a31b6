// The CPU path's sampler: the reference's semantics (reference/sample.ts: bias -> penalties -> mask -> greedy |
// top-k -> softmax -> top-p -> min-p -> draw) with its O(V) part in one wasm pass (cpu/wasm-sample.ts) and the rest
// in TypeScript over <= K + extras values, giving the identical token and distribution.
//
// Why that is exact: a token without a logit bias or a penalty keeps its f32 logit (exactly its f64 value), so
// ranking those in f32 inside wasm ranks them as the reference does. The tokens that have one ("extras") are kept
// out of the scan and get the reference's f64 arithmetic here, in the reference's order, then both sorted lists
// merge. The best K of (best K of the rest) + extras is the best K of all. Masked tokens are -inf in the
// reference: they follow, lowest id first, only when fewer than K tokens are allowed. Any non-finite value among
// the allowed tokens (the reference then throws, or ranks NaN its own way) goes to the reference itself.
import type { CpuKernels } from '../cpu/wasm-kernels.js';
import { WasmSampleScan } from '../cpu/wasm-sample.js';
import { SCAN_MAX_CANDIDATES } from '../cpu/wat/sample-wat.js';
import {
  distributionOverCandidates,
  drawFromCumulative,
  effectiveTopK,
  maskAllows,
  MAX_SAMPLING_CANDIDATES,
  samplingDistribution,
  type SamplingDistribution,
  type TokenCounts,
} from '../reference/sample.js';
import type { SamplingParams } from './generator.js';

if (SCAN_MAX_CANDIDATES !== MAX_SAMPLING_CANDIDATES) throw new Error('the wasm scan and the reference disagree on the candidate cap');

/** One scanned step: the non-finite count (the generator's error check) and the distribution / draw. */
export interface PreparedSample {
  /** Non-finite logits among all vocabSize tokens, masked ones included. */
  readonly nonFinite: number;
  /** = samplingDistribution(logits, params, history, mask). */
  distribution(): SamplingDistribution;
  /** = sampleCpu(logits, params, history, rng, mask); rng is not called when greedy. */
  sample(rng: () => number): number;
}

export class CpuSampler {
  private readonly scan: WasmSampleScan;

  constructor(
    kernels: CpuKernels,
    readonly vocabSize: number,
  ) {
    this.scan = new WasmSampleScan(kernels, vocabSize);
  }

  /**
   * Scans the vocabSize logits at wasm address `ptr`; `logits` is the same row as an array (read for the extras'
   * values and the candidates', and by the reference on the non-finite path).
   */
  prepare(ptr: number, logits: ArrayLike<number>, p: SamplingParams, history: TokenCounts, mask?: ArrayLike<number>): PreparedSample {
    const V = this.vocabSize;
    const K = p.temperature === 0 ? 1 : effectiveTopK(p, V);
    const extras = adjustedExtras(logits, V, p, history);
    const eligible = this.scan.eligibility();
    if (mask) {
      if (mask.length < eligible.length) throw new RangeError(`token mask has ${mask.length} words, needs ${eligible.length} for ${V} tokens`);
      for (let w = 0; w < eligible.length; w++) eligible[w] = mask[w];
    } else {
      eligible.fill(0xffffffff);
    }
    for (const id of extras.keys()) eligible[id >>> 5] &= ~(1 << (id & 31));
    const scan = this.scan.run(ptr, K);

    const reference = () => samplingDistribution(logits, p, history, mask);
    const distribution = (): SamplingDistribution => {
      if (scan.nonFiniteEligible > 0) return reference();
      const ranked = rankExtras(extras, mask);
      if (ranked === undefined) return reference();
      const { candidates, values } = merge(scan.candidates, logits, ranked, K, V, mask);
      if (candidates.length === 0 || !Number.isFinite(values[0])) return reference(); // nothing allowed: the reference's error
      if (p.temperature === 0) return { candidates: Uint32Array.of(candidates[0]), kept: 1, probs: Float64Array.of(1), cumulative: Float64Array.of(1) };
      return distributionOverCandidates(candidates, values, p, logits);
    };
    return {
      nonFinite: scan.nonFinite,
      distribution,
      sample: (rng) => {
        const d = distribution();
        return p.temperature === 0 ? d.candidates[0] : d.candidates[drawFromCumulative(d.cumulative, rng())];
      },
    };
  }
}

/**
 * Token id -> adjusted f64 value for every token with a logit bias or (when penalties are on) a history count > 0,
 * computed as adjustLogits does: the logit (+inf when non-finite, and then nothing added), every bias entry in
 * order, then the repetition, frequency and presence penalties.
 */
function adjustedExtras(logits: ArrayLike<number>, V: number, p: SamplingParams, history: TokenCounts): Map<number, number> {
  const out = new Map<number, number>();
  const start = (id: number) => out.get(id) ?? (Number.isFinite(logits[id]) ? logits[id] : Infinity);
  for (const [key, bias] of Object.entries(p.logitBias)) {
    const id = Number(key);
    if (!(Number.isInteger(id) && id >= 0 && id < V)) continue; // the reference's v[id] += bias does nothing there
    out.set(id, Number.isFinite(logits[id]) ? start(id) + bias : start(id));
  }
  const penalise = p.repetitionPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0;
  if (penalise) {
    for (const [id, c] of history) {
      if (c <= 0 || !Number.isInteger(id) || id < 0 || id >= V) continue;
      let x = start(id);
      if (Number.isFinite(logits[id])) {
        x = x > 0 ? x / p.repetitionPenalty : x * p.repetitionPenalty;
        x -= c * p.frequencyPenalty + p.presencePenalty;
      }
      out.set(id, x);
    }
  }
  return out;
}

/** The allowed extras as [id, value] in (value desc, id asc) order; undefined when one is not finite. */
function rankExtras(extras: Map<number, number>, mask: ArrayLike<number> | undefined): [number, number][] | undefined {
  const ranked: [number, number][] = [];
  for (const [id, x] of extras) {
    if (mask && !maskAllows(mask, id)) continue; // -inf in the reference: one of the masked tail
    if (!Number.isFinite(x)) return undefined;
    ranked.push([id, x]);
  }
  return ranked.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}

/** The first K of scanned + extras (both ranked), then masked tokens (-inf) by id while fewer than K. */
function merge(
  scanned: Uint32Array,
  logits: ArrayLike<number>,
  extras: readonly [number, number][],
  K: number,
  V: number,
  mask: ArrayLike<number> | undefined,
): { candidates: Uint32Array; values: Float64Array } {
  const candidates = new Uint32Array(K);
  const values = new Float64Array(K);
  let n = 0;
  let a = 0;
  let b = 0;
  while (n < K && (a < scanned.length || b < extras.length)) {
    const ia = scanned[a];
    const xa = a < scanned.length ? logits[ia] : -Infinity;
    const takeA = b >= extras.length || (a < scanned.length && (xa > extras[b][1] || (xa === extras[b][1] && ia < extras[b][0])));
    if (takeA) {
      candidates[n] = ia;
      values[n++] = xa;
      a++;
    } else {
      candidates[n] = extras[b][0];
      values[n++] = extras[b][1];
      b++;
    }
  }
  if (mask) {
    for (let id = 0; n < K && id < V; id++) {
      if (maskAllows(mask, id)) continue;
      candidates[n] = id;
      values[n++] = -Infinity;
    }
  }
  return { candidates: candidates.subarray(0, n), values: values.subarray(0, n) };
}
