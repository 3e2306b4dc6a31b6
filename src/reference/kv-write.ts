// CPU reference of kv-write: v_h = RMSNorm(v_h) (and, with kPrep, k_h = RoPE(RMSNorm(k_h; w))), stored in the
// cache slot of each row's position (startPos + r) % capacity.
import { rmsNormSlices } from './math.js';
import { normRopeRows } from './rope.js';

export interface KvPrep {
  readonly kNormWeight: ArrayLike<number>; // [headDim]
  readonly invFreq: Float32Array; // [headDim / 2]
}

/** Writes rows into kCache / vCache ([capacity, numKvHeads * headDim]) in place. */
export function kvWriteRows(
  kCache: Float64Array,
  vCache: Float64Array,
  k: ArrayLike<number>, // [rows, numKvHeads * headDim]
  v: ArrayLike<number>,
  rows: number,
  headDim: number,
  capacity: number,
  startPos: number,
  eps: number,
  kPrep?: KvPrep,
): void {
  const width = k.length / rows;
  const kRows = kPrep ? normRopeRows(k, rows, headDim, startPos, kPrep.invFreq, kPrep.kNormWeight, eps) : Float64Array.from(k);
  const vRows = rmsNormSlices(v, headDim, undefined, eps);
  if (kCache.length !== capacity * width || vCache.length !== capacity * width) throw new Error('kvWriteRows: cache size');
  for (let r = 0; r < rows; r++) {
    const slot = (startPos + r) % capacity;
    kCache.set(kRows.subarray(r * width, (r + 1) * width), slot * width);
    vCache.set(vRows.subarray(r * width, (r + 1) * width), slot * width);
  }
}
