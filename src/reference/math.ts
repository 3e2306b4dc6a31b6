// Primitive operations of the Gemma 4 text decoder in plain TypeScript (spec gemma4-architecture.md §2).
// Activations are Float64Array and sums are JS doubles: this is the exact yardstick for every GPU kernel.

export type Vec = Float64Array;

/** A row-major [rows, cols] matrix (HF layout [out, in]; GGUF ne = [cols, rows]). */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** y = x * (mean(x^2) + eps)^(-1/2) * w (w used as stored, no 1+w); w undefined = weightless (v_norm). */
export function rmsNorm(x: ArrayLike<number>, weight: ArrayLike<number> | undefined, eps: number): Vec {
  const n = x.length;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[i] * x[i];
  const inv = 1 / Math.sqrt(ss / n + eps);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = x[i] * inv * (weight ? weight[i] : 1);
  return y;
}

/** RMSNorm of each consecutive `size`-long slice of x (per-head q/k/v norms, PLE slices). */
export function rmsNormSlices(
  x: ArrayLike<number>,
  size: number,
  weight: ArrayLike<number> | undefined,
  eps: number,
): Vec {
  const y = new Float64Array(x.length);
  for (let s = 0; s < x.length; s += size) {
    y.set(rmsNorm(Array.prototype.slice.call(x, s, s + size) as number[], weight, eps), s);
  }
  return y;
}

/** y = W x for row-major W [rows, cols]. */
export function matVec(w: DenseMatrix, x: ArrayLike<number>): Vec {
  if (x.length !== w.cols) throw new Error(`matVec: x has ${x.length} entries, W has ${w.cols} columns`);
  const y = new Float64Array(w.rows);
  const d = w.data;
  for (let r = 0; r < w.rows; r++) {
    let acc = 0;
    const base = r * w.cols;
    for (let c = 0; c < w.cols; c++) acc += d[base + c] * x[c];
    y[r] = acc;
  }
  return y;
}

/** tanh-approximated GELU (gelu_pytorch_tanh). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** GeGLU: gelu(gate) * up, element-wise. */
export function geglu(gate: ArrayLike<number>, up: ArrayLike<number>): Vec {
  const y = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) y[i] = gelu(gate[i]) * up[i];
  return y;
}

/**
 * Half-split ("NeoX") RoPE on each head of x ([heads * headDim]) in place, at position `pos`.
 * Pairs (j, j + headDim/2); angle pos * invFreq[j], computed in f32 like the references.
 */
export function ropeInPlace(x: Vec, headDim: number, pos: number, invFreq: Float32Array): void {
  const half = headDim / 2;
  for (let h = 0; h < x.length; h += headDim) {
    for (let j = 0; j < half; j++) {
      const theta = Math.fround(pos * invFreq[j]);
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      const a = x[h + j];
      const b = x[h + j + half];
      x[h + j] = a * c - b * s;
      x[h + j + half] = b * c + a * s;
    }
  }
}

/** cap * tanh(z / cap) in place; cap 0 disables. */
export function softcapInPlace(z: Float64Array | Float32Array, cap: number): void {
  if (cap === 0) return;
  // NaN and +-inf stay as they are: tanh would turn an infinity into +-cap and hide a broken model.
  for (let i = 0; i < z.length; i++) if (Number.isFinite(z[i])) z[i] = cap * Math.tanh(z[i] / cap);
}

export function addInPlace(x: Vec, y: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}

export function scaleInPlace(x: Vec, s: number): void {
  for (let i = 0; i < x.length; i++) x[i] *= s;
}
