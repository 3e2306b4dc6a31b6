// Reference attention for one query row: GQA, scale 1.0, no softcap, causal or sliding-window mask (spec §2).

export interface KvView {
  /** Keys by absolute position: k[pos] is [numKvHeads * headDim]. */
  readonly keys: readonly ArrayLike<number>[];
  readonly values: readonly ArrayLike<number>[];
}

/**
 * q: [numHeads * headDim] at absolute position `pos`; attends to cached positions j <= pos
 * (and pos - j < window when a window is given). Returns [numHeads * headDim].
 */
export function attendOne(
  q: ArrayLike<number>,
  pos: number,
  kv: KvView,
  numHeads: number,
  numKvHeads: number,
  headDim: number,
  window: number | undefined,
): Float64Array {
  const group = numHeads / numKvHeads;
  const first = window === undefined ? 0 : Math.max(0, pos - window + 1);
  const out = new Float64Array(numHeads * headDim);
  const scores = new Float64Array(pos - first + 1);
  for (let h = 0; h < numHeads; h++) {
    const kvh = Math.floor(h / group);
    const qo = h * headDim;
    const ko = kvh * headDim;
    let max = -Infinity;
    for (let j = first; j <= pos; j++) {
      const k = kv.keys[j];
      let s = 0;
      for (let d = 0; d < headDim; d++) s += q[qo + d] * k[ko + d];
      scores[j - first] = s;
      if (s > max) max = s;
    }
    let denom = 0;
    for (let j = 0; j < scores.length; j++) {
      scores[j] = Math.exp(scores[j] - max);
      denom += scores[j];
    }
    for (let j = first; j <= pos; j++) {
      const a = scores[j - first] / denom;
      const v = kv.values[j];
      for (let d = 0; d < headDim; d++) out[qo + d] += a * v[ko + d];
    }
  }
  return out;
}
