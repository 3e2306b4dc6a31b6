// Typed wrapper over the sampler's scan in the kernel module (text: wat/sample-wat.ts): one pass over the logits in
// wasm memory that counts non-finite values and ranks the best K eligible tokens. Its scratch (eligibility bits,
// heap, result indices) lives in the arena; the merge with biased / penalised tokens is model/cpu-sampler.ts.
import type { CpuKernels } from './wasm-kernels.js';
import { SCAN_MAX_CANDIDATES, SCAN_RESULT } from './wat/sample-wat.js';

export interface CandidateScan {
  /** Indices of the best min(K, eligible) tokens, (value desc, index asc) order. */
  readonly candidates: Uint32Array;
  /** Non-finite logits (NaN, +-inf) among all tokens. */
  readonly nonFinite: number;
  /** Non-finite logits among the eligible tokens (those are never candidates). */
  readonly nonFiniteEligible: number;
}

export class WasmSampleScan {
  readonly words: number;
  private readonly eligible: number;
  private readonly heap: number;
  private readonly out: number;
  private readonly result: number;
  private readonly scan: (z: number, n: number, elig: number, K: number, heap: number, out: number, res: number) => number;

  constructor(
    private readonly kernels: CpuKernels,
    readonly vocabSize: number,
  ) {
    const arena = kernels.arena;
    this.words = Math.ceil(vocabSize / 32);
    this.eligible = arena.alloc(4 * Math.max(this.words, 4));
    this.heap = arena.alloc(8 * SCAN_MAX_CANDIDATES);
    this.out = arena.alloc(4 * SCAN_MAX_CANDIDATES);
    this.result = arena.alloc(16);
    this.scan = kernels.exports.sample_scan as unknown as WasmSampleScan['scan'];
  }

  /** The eligibility bits in wasm memory ([words] u32; bits >= vocabSize are ignored): fill before run(). */
  eligibility(): Uint32Array {
    return new Uint32Array(this.kernels.arena.memory.buffer, this.eligible, this.words);
  }

  /** Scans the vocabSize f32 logits at address `logits` for the best k (1 .. SCAN_MAX_CANDIDATES) eligible tokens. */
  run(logits: number, k: number): CandidateScan {
    if (!(Number.isInteger(k) && k >= 1 && k <= SCAN_MAX_CANDIDATES)) throw new RangeError(`scan keeps 1 to ${SCAN_MAX_CANDIDATES} candidates, got ${k}`);
    const count = this.scan(logits, this.vocabSize, this.eligible, k, this.heap, this.out, this.result);
    const buffer = this.kernels.arena.memory.buffer;
    const res = new Int32Array(buffer, this.result, 4);
    return {
      candidates: new Uint32Array(buffer, this.out, count).slice(),
      nonFinite: res[SCAN_RESULT.nonFinite],
      nonFiniteEligible: res[SCAN_RESULT.nonFiniteEligible],
    };
  }
}
