// Exact conversions between 16-bit floats (IEEE f16, bfloat16) and f32, rounding the way ggml does.
// Encoders take a JS number, round it to f32 first (ggml's input is a float), then to 16 bits.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Bits of the f32 nearest to `x`. */
function f32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

/** Decodes f16 bits exactly (subnormals, ±0, ±inf; NaN for every NaN pattern). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // subnormal or zero (keeps -0)
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * f32 -> f16 bits, round-to-nearest-even with overflow to inf, NaN -> sign | 0x7e00: the results of
 * ggml's GGML_FP32_TO_FP16 (its portable path and F16C's _cvtss_sh agree on every non-NaN input).
 */
export function f32ToF16(x: number): number {
  const w = f32Bits(x);
  const sign = (w >>> 16) & 0x8000;
  const abs = w & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  // 65520 is the midpoint between 65504 (max f16, odd mantissa) and 2^16: ties go to even, i.e. inf.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) {
    // Normal f16: rebias the exponent (127 -> 15), then drop 13 mantissa bits rounding to even.
    // A carry out of the mantissa correctly bumps the exponent.
    const v = abs - 0x38000000;
    return sign | ((v + 0xfff + ((v >>> 13) & 1)) >>> 13);
  }
  // Subnormal f16 (or zero): count units of 2^-24; the product is exact in a double.
  const units = Math.abs(scratchF32[0]) * 16777216;
  let n = Math.floor(units);
  const frac = units - n;
  if (frac > 0.5 || (frac === 0.5 && (n & 1) === 1)) n++;
  return sign | n; // n may reach 0x400, which is the smallest normal: still correct
}

/** Decodes bf16 bits (exact: bf16 is the top half of an f32). */
export function bf16ToF32(h: number): number {
  scratchU32[0] = (h & 0xffff) << 16;
  return scratchF32[0];
}

/**
 * f32 -> bf16 bits like ggml's ggml_compute_fp32_to_bf16: round-to-nearest-even on the raw bits
 * (overflow to inf, subnormals kept, not flushed), NaN truncated and forced quiet (| 0x40).
 */
export function f32ToBf16(x: number): number {
  const w = f32Bits(x);
  if ((w & 0x7fffffff) > 0x7f800000) return ((w >>> 16) | 0x40) & 0xffff;
  // w <= 0xff800000 here, so the sum stays below 2^32 and >>> is safe.
  return ((w + 0x7fff + ((w >>> 16) & 1)) >>> 16) & 0xffff;
}

let f16Table: Float32Array | undefined;

/** All 65536 f16 values as f32, indexed by bits (what ggml's ggml_table_f32_f16 holds). Built once. */
export function f16ToF32Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}
