// Reference of the CPU path's activation quantizer (cpu/wat quantize_rows), bit-exact: per 32 values
// d = amax / 127 and q = round-half-even(x * (127 / amax)) in f32 (q = 0 when amax = 0), plus d * (sum of q)
// over each 16 and each 32 values (the offset terms of the integer products).

export interface QuantizedActivations {
  readonly q: Int8Array;
  readonly d: Float32Array;
  readonly sum16: Float32Array;
  readonly sum32: Float32Array;
}

const f = Math.fround;

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** x: [M * K] f32 values, K a multiple of 32. */
export function quantizeActivationsRef(x: Float32Array, K: number): QuantizedActivations {
  const n = x.length;
  const q = new Int8Array(n);
  const d = new Float32Array(n / 32);
  const sum16 = new Float32Array(n / 16);
  const sum32 = new Float32Array(n / 32);
  if (K % 32 !== 0) throw new RangeError(`K = ${K} is not a multiple of 32`);
  for (let b = 0; b < n / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
    const scale = f(amax / 127);
    const inv = amax > 0 ? f(127 / amax) : 0;
    let sa = 0;
    let sb = 0;
    for (let j = 0; j < 32; j++) {
      const v = roundHalfEven(f(x[32 * b + j] * inv));
      q[32 * b + j] = v;
      if (j < 16) sa += v;
      else sb += v;
    }
    d[b] = scale;
    sum16[2 * b] = f(scale * sa);
    sum16[2 * b + 1] = f(scale * sb);
    sum32[b] = f(scale * (sa + sb));
  }
  return { q, d, sum16, sum32 };
}

/** The values the integer products see: q * d. */
export function dequantizeActivationsRef(a: QuantizedActivations): Float64Array {
  return Float64Array.from(a.q, (v, i) => v * a.d[i >> 5]);
}
