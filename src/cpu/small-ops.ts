// The CPU forward's small per-row operations in plain TypeScript on f32 storage with double arithmetic (norms,
// RoPE, GeGLU, attention over the KV cache, softcap). They are a few percent of a token's work next to the
// products, and they follow src/reference/math.ts and attention.ts formula for formula.

/** dst[d..d+n) = src[s..s+n) * (mean(src^2) + eps)^-1/2 * w (w undefined: weightless). dst may equal src. */
export function rmsNormInto(
  dst: Float32Array,
  d: number,
  src: Float32Array,
  s: number,
  n: number,
  w: Float32Array | undefined,
  eps: number,
): void {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += src[s + i] * src[s + i];
  const inv = 1 / Math.sqrt(ss / n + eps);
  if (w) for (let i = 0; i < n; i++) dst[d + i] = src[s + i] * inv * w[i];
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i] * inv;
}

/** x[o..o+n) += RMSNorm(y[yo..yo+n); w). */
export function addRmsNorm(x: Float32Array, o: number, y: Float32Array, yo: number, n: number, w: Float32Array, eps: number): void {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += y[yo + i] * y[yo + i];
  const inv = 1 / Math.sqrt(ss / n + eps);
  for (let i = 0; i < n; i++) x[o + i] += y[yo + i] * inv * w[i];
}

/** Half-split RoPE of `heads` heads of headDim at x[o..], position pos; angle in f32 like the reference. */
export function ropeInto(x: Float32Array, o: number, heads: number, headDim: number, pos: number, invFreq: Float32Array): void {
  const half = headDim / 2;
  for (let j = 0; j < half; j++) {
    if (invFreq[j] === 0) continue;
    const theta = Math.fround(pos * invFreq[j]);
    const c = Math.cos(theta);
    const sn = Math.sin(theta);
    for (let h = o; h < o + heads * headDim; h += headDim) {
      const a = x[h + j];
      const b = x[h + j + half];
      x[h + j] = a * c - b * sn;
      x[h + j + half] = b * c + a * sn;
    }
  }
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** g[o..o+n) = gelu(g) * u[uo..uo+n). */
export function gegluInto(g: Float32Array, o: number, u: Float32Array, uo: number, n: number): void {
  for (let i = 0; i < n; i++) g[o + i] = gelu(g[o + i]) * u[uo + i];
}

export function softcapInto(z: Float32Array, cap: number): void {
  if (cap === 0) return;
  for (let i = 0; i < z.length; i++) z[i] = cap * Math.tanh(z[i] / cap);
}

/** One layer's KV cache: `capacity` slots of [numKvHeads * headDim]; position p lives in slot p % capacity. */
export interface KvRing {
  readonly keys: Float32Array;
  readonly values: Float32Array;
  readonly capacity: number;
  readonly width: number;
}

export function createKvRing(capacity: number, width: number): KvRing {
  return { keys: new Float32Array(capacity * width), values: new Float32Array(capacity * width), capacity, width };
}

let acc = new Float64Array(512);

/**
 * out[oo..] = attention of q[qo..] ([numHeads * headDim]) at position pos over cached positions
 * max(0, pos - window + 1)..pos (window undefined: all). Scale 1, no softcap, GQA head h reads kv head h / group.
 */
export function attendInto(
  out: Float32Array,
  oo: number,
  q: Float32Array,
  qo: number,
  pos: number,
  kv: KvRing,
  numHeads: number,
  numKvHeads: number,
  headDim: number,
  window: number | undefined,
  scores: Float64Array,
): void {
  const group = numHeads / numKvHeads;
  const first = window === undefined ? 0 : Math.max(0, pos - window + 1);
  const n = pos - first + 1;
  const { keys, values, capacity, width } = kv;
  for (let h = 0; h < numHeads; h++) {
    const ko = Math.floor(h / group) * headDim;
    const qh = qo + h * headDim;
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      const base = ((first + j) % capacity) * width + ko;
      let s = 0;
      for (let d = 0; d < headDim; d++) s += q[qh + d] * keys[base + d];
      scores[j] = s;
      if (s > max) max = s;
    }
    let denom = 0;
    for (let j = 0; j < n; j++) {
      scores[j] = Math.exp(scores[j] - max);
      denom += scores[j];
    }
    if (acc.length < headDim) acc = new Float64Array(headDim);
    acc.fill(0, 0, headDim);
    for (let j = 0; j < n; j++) {
      const a = scores[j] / denom;
      const base = ((first + j) % capacity) * width + ko;
      for (let d = 0; d < headDim; d++) acc[d] += a * values[base + d];
    }
    const oh = oo + h * headDim;
    for (let d = 0; d < headDim; d++) out[oh + d] = acc[d];
  }
}
