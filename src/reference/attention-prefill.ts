// CPU reference of attention-prefill: every query row r (position startPos + r) against the KV cache ring,
// i.e. attention-decode's reference row by row.
import { attentionDecode, type CacheShape } from './attention-decode.js';

/** q: [rows, numHeads * headDim]. Returns [rows, numHeads * headDim]. */
export function attentionPrefill(
  q: ArrayLike<number>,
  kCache: Float64Array | Float32Array,
  vCache: Float64Array | Float32Array,
  rows: number,
  startPos: number,
  s: CacheShape,
): Float64Array {
  const width = s.numHeads * s.headDim;
  const out = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const qRow = Array.prototype.slice.call(q, r * width, (r + 1) * width) as number[];
    out.set(attentionDecode(qRow, kCache, vCache, startPos + r, s), r * width);
  }
  return out;
}
