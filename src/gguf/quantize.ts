// Simple reference quantizers to every supported ggml type, plus random valid raw blocks, for test fixtures.
// NOT llama-quantize: no importance weights, no scale search. Q8_0/Q4_0/Q5_0 follow ggml's *_ref
// recipes, Q4_1/Q5_1 too but round codes against the stored f16 d and m; the K-quants fit each
// sub-block's min/max, then quantize the sub-block scales to 6 (8) bits rounding up, so the fitted range
// always fits. Good enough that random-weight models carry realistic quantized contents and that tests
// can bound the error per type (see quantize.test.ts for the bounds).
import { GgufError } from './errors.js';
import { assertSupportedType } from './ggml-types.js';
import { f16ToF32, f32ToBf16, f32ToF16 } from './half.js';
import { GgmlType } from './types.js';

/**
 * Quantizes `values` (a whole number of `type` blocks; rows of the tensor laid end to end) to the raw
 * bytes ggml stores for `type`. Values must be finite; f16 scales limit the usable magnitude (~1e5).
 */
export function quantize(type: GgmlType, values: Float32Array, tensorName = '(unnamed tensor)'): Uint8Array {
  const traits = assertSupportedType(type, tensorName);
  if (values.length % traits.blockSize !== 0) {
    throw new GgufError(
      'BAD_TENSOR_SHAPE',
      `Tensor "${tensorName}": ${values.length} values is not a whole number of ${traits.name} blocks of ${traits.blockSize}.`,
      { tensor: tensorName, elementCount: values.length },
    );
  }
  const blocks = values.length / traits.blockSize;
  const out = new Uint8Array(blocks * traits.typeSize);
  switch (type) {
    case GgmlType.F32:
      new Float32Array(out.buffer).set(values);
      break;
    case GgmlType.F16:
      for (let i = 0; i < values.length; i++) putU16(out, 2 * i, f32ToF16(values[i]));
      break;
    case GgmlType.BF16:
      for (let i = 0; i < values.length; i++) putU16(out, 2 * i, f32ToBf16(values[i]));
      break;
    case GgmlType.Q8_0:
      for (let b = 0; b < blocks; b++) quantizeQ8_0(values, b * 32, out, b * 34);
      break;
    case GgmlType.Q4_0:
    case GgmlType.Q5_0:
      for (let b = 0; b < blocks; b++) quantizeSymmetric(type, values, b * 32, out, b * traits.typeSize);
      break;
    case GgmlType.Q4_1:
    case GgmlType.Q5_1:
      for (let b = 0; b < blocks; b++) quantizeMinMax(type, values, b * 32, out, b * traits.typeSize);
      break;
    case GgmlType.Q4_K:
    case GgmlType.Q5_K:
      for (let b = 0; b < blocks; b++) quantizeQxK(type, values, b * 256, out, b * traits.typeSize);
      break;
    case GgmlType.Q6_K:
      for (let b = 0; b < blocks; b++) quantizeQ6_K(values, b * 256, out, b * 210);
      break;
    default:
      throw new Error(`quantize: no quantizer for ${traits.name}`); // unreachable: assertSupportedType
  }
  return out;
}

function putU16(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff;
  out[o + 1] = v >>> 8;
}

/** f16 bits of the smallest f16 >= x (x >= 0): a scale rounded up never shrinks the range it must cover. */
function f16AtLeast(x: number): number {
  const h = f32ToF16(x);
  if (h >= 0x7bff) return 0x7bff; // saturate at the largest finite f16
  return f16ToF32(h) < x ? h + 1 : h; // positive f16 bit patterns are ordered like their values
}

/** ggml's quantize_row_q8_0_ref: d = amax / 127, q = round(x / d) (half away from zero, like roundf). */
function quantizeQ8_0(x: Float32Array, i: number, out: Uint8Array, o: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i + j]));
  const d = Math.fround(amax / 127);
  const id = d ? Math.fround(1 / d) : 0;
  putU16(out, o, f32ToF16(d));
  for (let j = 0; j < 32; j++) {
    const v = Math.fround(x[i + j] * id);
    const q = Math.max(-127, Math.min(127, Math.sign(v) * Math.round(Math.abs(v))));
    out[o + 2 + j] = q & 0xff;
  }
}

/**
 * ggml's quantize_row_q4_0_ref / q5_0_ref: d = (signed value of largest magnitude) / -2^(bits-1), so
 * that value lands exactly on the most negative code; q = min(max, floor(x / d + 2^(bits-1) + 0.5)).
 */
function quantizeSymmetric(type: GgmlType, x: Float32Array, i: number, out: Uint8Array, o: number): void {
  const five = type === GgmlType.Q5_0;
  const half = five ? 16 : 8;
  const qmax = 2 * half - 1;
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    if (amax < Math.abs(x[i + j])) {
      amax = Math.abs(x[i + j]);
      max = x[i + j];
    }
  }
  const d = Math.fround(max / -half);
  const id = d ? Math.fround(1 / d) : 0;
  putU16(out, o, f32ToF16(d));
  let qh = 0;
  const qs = o + (five ? 6 : 2);
  for (let j = 0; j < 16; j++) {
    const q0 = code(Math.fround(Math.fround(x[i + j] * id) + half + 0.5), qmax);
    const q1 = code(Math.fround(Math.fround(x[i + j + 16] * id) + half + 0.5), qmax);
    out[qs + j] = (q0 & 0xf) | ((q1 & 0xf) << 4);
    qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
  }
  if (five) putU32(out, o + 2, qh);
}

/** Truncates a non-negative code like C's (int) cast, clamped to [0, qmax] (NaN -> 0). */
function code(v: number, qmax: number): number {
  return v > 0 ? Math.min(qmax, Math.floor(v)) : 0;
}

function putU32(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff;
  out[o + 1] = (v >>> 8) & 0xff;
  out[o + 2] = (v >>> 16) & 0xff;
  out[o + 3] = v >>> 24;
}

/**
 * Q4_1 / Q5_1 in the spirit of ggml's *_ref: m = block min, d = (max - min) / qmax, but the codes are
 * rounded against the f16-rounded d and m actually stored, which keeps requantization stable.
 */
function quantizeMinMax(type: GgmlType, x: Float32Array, i: number, out: Uint8Array, o: number): void {
  const five = type === GgmlType.Q5_1;
  const qmax = five ? 31 : 15;
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < 32; j++) {
    min = Math.min(min, x[i + j]);
    max = Math.max(max, x[i + j]);
  }
  const dBits = f32ToF16(Math.fround((max - min) / qmax));
  const mBits = f32ToF16(min);
  putU16(out, o, dBits);
  putU16(out, o + 2, mBits);
  const d = f16ToF32(dBits);
  const m = f16ToF32(mBits);
  const id = d ? 1 / d : 0;
  let qh = 0;
  const qs = o + (five ? 8 : 4);
  for (let j = 0; j < 16; j++) {
    const q0 = clampRound((x[i + j] - m) * id, 0, qmax);
    const q1 = clampRound((x[i + j + 16] - m) * id, 0, qmax);
    out[qs + j] = (q0 & 0xf) | ((q1 & 0xf) << 4);
    qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
  }
  if (five) putU32(out, o + 4, qh);
}

function clampRound(v: number, lo: number, hi: number): number {
  const r = Math.round(v);
  return r > hi ? hi : r >= lo ? r : lo; // NaN -> lo
}

const subScale = new Float64Array(16);
const subMin = new Float64Array(8);
const codes = new Uint8Array(256);

/**
 * Q4_K / Q5_K: per 32-element sub-block, lo = min(0, min x), scale = (max - lo) / qmax, min = -lo
 * (ggml stores mins subtracted, so non-negative). The super-block d, dmin are the largest scale, min
 * over 63, rounded up to f16; 6-bit scales round up (never shrinking a range), 6-bit mins to nearest.
 */
function quantizeQxK(type: GgmlType, x: Float32Array, i: number, out: Uint8Array, o: number): void {
  const five = type === GgmlType.Q5_K;
  const qmax = five ? 31 : 15;
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let lo = 0;
    let hi = -Infinity;
    for (let l = 0; l < 32; l++) {
      const v = x[i + 32 * j + l];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    subScale[j] = (hi - lo) / qmax;
    subMin[j] = -lo;
    maxScale = Math.max(maxScale, subScale[j]);
    maxMin = Math.max(maxMin, subMin[j]);
  }
  const dBits = f16AtLeast(Math.fround(maxScale / 63));
  const mBits = f16AtLeast(Math.fround(maxMin / 63));
  putU16(out, o, dBits);
  putU16(out, o + 2, mBits);
  const d = f16ToF32(dBits);
  const dmin = f16ToF32(mBits);
  const sc = o + 4;
  for (let j = 0; j < 8; j++) {
    // The small slack keeps float noise in scale/d from rounding an exact fit up to the next step.
    const ls = d > 0 ? Math.min(63, Math.ceil(subScale[j] / d - 1e-6)) : 0;
    const lm = dmin > 0 ? Math.min(63, Math.round(subMin[j] / dmin)) : 0;
    if (j < 4) {
      out[sc + j] = ls;
      out[sc + j + 4] = lm;
    } else {
      out[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[sc + j - 4] |= (ls >> 4) << 6;
      out[sc + j] |= (lm >> 4) << 6;
    }
    const step = Math.fround(d * ls);
    const offset = Math.fround(dmin * lm);
    const inv = step ? 1 / step : 0;
    for (let l = 0; l < 32; l++) codes[32 * j + l] = clampRound((x[i + 32 * j + l] + offset) * inv, 0, qmax);
  }
  const qs = o + (five ? 48 : 16);
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) {
      const a = codes[64 * c + l];
      const b = codes[64 * c + 32 + l];
      out[qs + 32 * c + l] = (a & 0xf) | ((b & 0xf) << 4);
      if (five) out[o + 16 + l] |= ((a >> 4) << (2 * c)) | ((b >> 4) << (2 * c + 1));
    }
  }
}

/**
 * Q6_K: per 16-element sub-block, scale = amax / 31 (symmetric codes -31..31 of the -32..31 range);
 * d = largest scale / 127 rounded up to f16; int8 sub-block scales round up.
 */
function quantizeQ6_K(x: Float32Array, i: number, out: Uint8Array, o: number): void {
  let maxScale = 0;
  for (let j = 0; j < 16; j++) {
    let amax = 0;
    for (let l = 0; l < 16; l++) amax = Math.max(amax, Math.abs(x[i + 16 * j + l]));
    subScale[j] = amax / 31;
    maxScale = Math.max(maxScale, subScale[j]);
  }
  const dBits = f16AtLeast(Math.fround(maxScale / 127));
  putU16(out, o + 208, dBits);
  const d = f16ToF32(dBits);
  for (let j = 0; j < 16; j++) {
    const s = d > 0 ? Math.min(127, Math.ceil(subScale[j] / d - 1e-6)) : 0;
    out[o + 192 + j] = s;
    const step = Math.fround(d * s);
    const inv = step ? 1 / step : 0;
    for (let l = 0; l < 16; l++) codes[16 * j + l] = clampRound(x[i + 16 * j + l] * inv, -32, 31) + 32;
  }
  for (let h = 0; h < 2; h++) {
    const L = 128 * h;
    for (let l = 0; l < 32; l++) {
      const a = codes[L + l];
      const b = codes[L + l + 32];
      const c = codes[L + l + 64];
      const e = codes[L + l + 96];
      out[o + 64 * h + l] = (a & 0xf) | ((c & 0xf) << 4);
      out[o + 64 * h + l + 32] = (b & 0xf) | ((e & 0xf) << 4);
      out[o + 128 + 32 * h + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
    }
  }
}

/**
 * `blockCount` random but valid raw blocks of `type` (for plain float types, one element per "block"):
 * random codes and packed scales, finite f16 scales of magnitude 2^-14..2^-6 (mins/offsets up to ~1),
 * so every dequantized value is finite and of weight-like size. `rng` returns uniform numbers in [0, 1).
 */
export function randomValidBlocks(type: GgmlType, blockCount: number, rng: () => number): Uint8Array {
  const traits = assertSupportedType(type, '(random blocks)');
  const out = new Uint8Array(blockCount * traits.typeSize);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(rng() * 256);
  const scale = (signed: boolean): number =>
    f32ToF16((signed && rng() < 0.5 ? -1 : 1) * 2 ** (-14 + 8 * rng()));
  const offset = (): number => f32ToF16(-rng());
  const size = traits.typeSize;
  for (let b = 0; b < blockCount; b++) {
    const o = b * size;
    switch (type) {
      case GgmlType.F32:
        new DataView(out.buffer).setFloat32(o, 2 * rng() - 1, true);
        break;
      case GgmlType.F16:
        putU16(out, o, f32ToF16(2 * rng() - 1));
        break;
      case GgmlType.BF16:
        putU16(out, o, f32ToBf16(2 * rng() - 1));
        break;
      case GgmlType.Q8_0:
      case GgmlType.Q4_0:
      case GgmlType.Q5_0:
        putU16(out, o, scale(type !== GgmlType.Q8_0));
        break;
      case GgmlType.Q4_1:
      case GgmlType.Q5_1:
        putU16(out, o, scale(false));
        putU16(out, o + 2, offset());
        break;
      case GgmlType.Q4_K:
      case GgmlType.Q5_K:
        putU16(out, o, scale(false));
        putU16(out, o + 2, scale(false));
        break;
      case GgmlType.Q6_K:
        putU16(out, o + 208, scale(false));
        break;
    }
  }
  return out;
}
