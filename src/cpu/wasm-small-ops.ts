// Typed wrappers over the small per-row ops in the kernel module (text: wat/small-ops-wat.ts). Everything is an
// address in the arena: activations, norm weights, the KV cache, the RoPE tables, attention's parameter block.
import { ATTEND_PARAM_INTS, ATTEND_PARAMS } from './wat/small-ops-wat.js';
import type { CpuKernels } from './wasm-kernels.js';

type Fn = (...args: number[]) => void;

export interface AttendArgs {
  /** [rows, heads * headDim] f32 out and queries. */
  readonly out: number;
  readonly q: number;
  readonly rows: number;
  /** Position of row 0. */
  readonly pos0: number;
  /** [capacity, width] f32 caches, position p at row p. */
  readonly keys: number;
  readonly values: number;
  readonly width: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Sliding window in positions (inclusive of self); undefined = all positions. */
  readonly window: number | undefined;
  /** Scratch: heads * scoreStride f32 (scoreStride >= the positions one row can see). */
  readonly scores: number;
  readonly scoreStride: number;
}

export class WasmSmallOps {
  private readonly ex: Record<string, Fn>;
  /** A view for parameter blocks, remade when the memory grows (a grown buffer detaches or replaces old views). */
  private ints: Int32Array | undefined;

  constructor(private readonly kernels: CpuKernels) {
    this.ex = kernels.exports as Record<string, Fn>;
  }

  /** dst row = src row * (mean(src row^2) + eps)^-1/2 (* w when w is an address, not 0), rows of n; dst may be src. */
  rmsNormRows(dst: number, src: number, rows: number, n: number, w: number, eps: number): void {
    this.ex.rms_norm_rows(dst, src, rows, n, w, eps);
  }

  /** x row = (x row + RMSNorm(y row; w)) * scale, rows of n. */
  addRmsNormRows(x: number, y: number, rows: number, n: number, w: number, eps: number, scale = 1): void {
    this.ex.add_rms_norm_rows(x, y, rows, n, w, eps, scale);
  }

  /** Half-split RoPE of every head of [rows, heads * headDim] with [rows, headDim / 2] cos / sin tables. */
  ropeRows(x: number, rows: number, heads: number, headDim: number, cos: number, sin: number): void {
    if (headDim % 8 !== 0) throw new RangeError(`RoPE needs a head size that is a multiple of 8, got ${headDim}`);
    this.ex.rope_rows(x, rows, heads, headDim, cos, sin);
  }

  /** Writes attention's parameter block at pb (ATTEND_PARAM_INTS i32) for attendHeads / Products.attend. */
  writeAttendParams(pb: number, a: AttendArgs): void {
    if (a.headDim % 8 !== 0) throw new RangeError(`attention needs a head size that is a multiple of 8, got ${a.headDim}`);
    if (a.heads % a.kvHeads !== 0) throw new RangeError(`${a.heads} query heads do not split into ${a.kvHeads} KV heads`);
    const buffer = this.kernels.arena.memory.buffer;
    if (this.ints?.buffer !== buffer) this.ints = new Int32Array(buffer);
    const p = this.ints.subarray(pb / 4, pb / 4 + ATTEND_PARAM_INTS); // pb may pass 2^31: no >> 2
    const P = ATTEND_PARAMS;
    p[P.out] = a.out;
    p[P.q] = a.q;
    p[P.rows] = a.rows;
    p[P.pos0] = a.pos0;
    p[P.keys] = a.keys;
    p[P.values] = a.values;
    p[P.width] = a.width;
    p[P.heads] = a.heads;
    p[P.kvHeads] = a.kvHeads;
    p[P.headDim] = a.headDim;
    p[P.window] = a.window ?? 0;
    p[P.scores] = a.scores;
    p[P.scoreStride] = a.scoreStride;
  }

  /** Attention of query heads [h0, h1) for the parameter block at pb (this thread). */
  attendHeads(pb: number, h0: number, h1: number): void {
    this.ex.attend_job(pb, 0, 0, 0, 0, 0, h0, h1, 0, 0);
  }

  /** g[r, k] = gelu_tanh(g[r, k]) * u[r * uStride + k], g [rows, n]. */
  gegluRows(g: number, u: number, rows: number, n: number, uStride = n): void {
    this.ex.geglu_rows(g, u, rows, n, uStride);
  }

  /** z = cap * tanh(z / cap) over n values (cap 0: unchanged); NaN and +-inf stay. */
  softcap(z: number, n: number, cap: number): void {
    if (cap !== 0) this.ex.softcap(z, n, cap);
  }

  /** x *= s over n values. */
  scale(x: number, n: number, s: number): void {
    this.ex.scale(x, n, s);
  }

  /** exp / tanh / gelu of n values in place (tests of the polynomials). */
  probe(fn: 'exp' | 'tanh' | 'gelu', x: number, n: number): void {
    this.ex[`${fn}_probe`](x, n);
  }
}

/**
 * Fills RoPE tables for positions pos0 .. pos0 + rows - 1: cos[r, j] = cos(theta), sin[r, j] = sin(theta) with the
 * reference's f32 angle theta = fround(pos * invFreq[j]) (invFreq 0, the unrotated part: cos 1, sin 0).
 */
export function fillRopeTables(cos: Float32Array, sin: Float32Array, pos0: number, rows: number, invFreq: Float32Array): void {
  const half = invFreq.length;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < half; j++) {
      const theta = Math.fround((pos0 + r) * invFreq[j]);
      cos[r * half + j] = Math.cos(theta);
      sin[r * half + j] = Math.sin(theta);
    }
  }
}
