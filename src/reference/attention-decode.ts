// CPU reference of attention-decode: one query at position `pos` against a KV cache ring (slot = position %
// capacity), via attendOne on a view of the slots that hold the visible positions.
import { attendOne, type KvView } from './attention.js';

export interface CacheShape {
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly capacity: number;
  readonly window: number; // 0 = full
}

/** The cache seen by position-indexed attendOne: entries for positions first..last (the others are holes). */
export function cacheView(kCache: Float64Array | Float32Array, vCache: Float64Array | Float32Array, s: CacheShape, first: number, last: number): KvView {
  const width = s.numKvHeads * s.headDim;
  const keys: ArrayLike<number>[] = new Array(last + 1);
  const values: ArrayLike<number>[] = new Array(last + 1);
  for (let j = first; j <= last; j++) {
    const at = (j % s.capacity) * width;
    keys[j] = kCache.subarray(at, at + width);
    values[j] = vCache.subarray(at, at + width);
  }
  return { keys, values };
}

/** First visible key position from `pos`. */
export function firstKey(pos: number, window: number): number {
  return window > 0 ? Math.max(0, pos - window + 1) : 0;
}

/** q: [numHeads * headDim] at position pos. Returns [numHeads * headDim]. */
export function attentionDecode(
  q: ArrayLike<number>,
  kCache: Float64Array | Float32Array,
  vCache: Float64Array | Float32Array,
  pos: number,
  s: CacheShape,
): Float64Array {
  const view = cacheView(kCache, vCache, s, firstKey(pos, s.window), pos);
  return attendOne(q, pos, view, s.numHeads, s.numKvHeads, s.headDim, s.window > 0 ? s.window : undefined);
}
