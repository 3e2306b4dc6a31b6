// Dequantization of ggml tensor data to f32, bit-exact to ggml's dequantize_row_* for every supported type.
// Hot path of the CPU reference forward pass and of embedding gathers: plain typed-array loops, no allocation.
//
// Exactness: every product ggml rounds to float here (d*sc, d*q, dmin*m, (d*sc)*q for Q4_K/Q5_K) has at
// most 24 significant bits (f16 scales carry 11, 6-bit scales 6, quants <= 6), so it is exact in a JS
// double and in C's float alike. Each output therefore rounds once, when stored into the Float32Array,
// exactly as C's single float rounding of the last multiply or subtract (or its fused multiply-add:
// with an exact product, FMA contraction cannot change the result either). Specials (inf, NaN scales)
// propagate through the same operation order as in ggml.
import { GgufError } from './errors.js';
import { assertSupportedType } from './ggml-types.js';
import { f16ToF32Table } from './half.js';
import { GgmlType } from './types.js';

type Kernel = (src: Uint8Array, blocks: number, dst: Float32Array) => void;

/**
 * Dequantizes `elementCount` elements of a tensor of `type` from its raw bytes (exactly the tensor's
 * bytes: a length mismatch throws TENSOR_SIZE_MISMATCH). Writes into `out` (length >= elementCount)
 * when given, else a new array. `tensorName` only labels errors.
 */
export function dequantize(
  type: GgmlType,
  bytes: Uint8Array,
  elementCount: number,
  out?: Float32Array,
  tensorName = '(unnamed tensor)',
): Float32Array {
  const traits = assertSupportedType(type, tensorName);
  if (!Number.isSafeInteger(elementCount) || elementCount < 0 || elementCount % traits.blockSize !== 0) {
    throw new GgufError(
      'BAD_TENSOR_SHAPE',
      `Tensor "${tensorName}": ${elementCount} elements is not a whole number of ${traits.name} blocks of ${traits.blockSize}.`,
      { tensor: tensorName, elementCount },
    );
  }
  const blocks = elementCount / traits.blockSize;
  const expected = blocks * traits.typeSize;
  if (bytes.length !== expected) {
    throw new GgufError(
      'TENSOR_SIZE_MISMATCH',
      `Tensor "${tensorName}" (${traits.name}, ${elementCount} elements) needs ${expected} bytes, got ${bytes.length}.`,
      { tensor: tensorName, expected, actual: bytes.length },
    );
  }
  if (out && out.length < elementCount) {
    throw new RangeError(`dequantize: output holds ${out.length} elements, ${elementCount} needed`);
  }
  const dst = out ?? new Float32Array(elementCount);
  KERNELS[type as keyof typeof KERNELS](bytes, blocks, dst);
  return dst;
}

/**
 * Dequantizes rows [firstRow, firstRow + rowCount) of a 2-D tensor whose whole data is `bytes`
 * (`rowLength` = dims[0] elements per row). Used for embedding gathers, one row at a time.
 * Result: [rowCount, rowLength].
 */
export function dequantizeRows(
  type: GgmlType,
  bytes: Uint8Array,
  rowLength: number,
  firstRow: number,
  rowCount: number,
  out?: Float32Array,
  tensorName = '(unnamed tensor)',
): Float32Array {
  const traits = assertSupportedType(type, tensorName);
  if (!Number.isSafeInteger(rowLength) || rowLength <= 0 || rowLength % traits.blockSize !== 0) {
    throw new GgufError(
      'BAD_TENSOR_SHAPE',
      `Tensor "${tensorName}" has row length ${rowLength}, not a multiple of the ${traits.name} block size ${traits.blockSize}.`,
      { tensor: tensorName, rowLength },
    );
  }
  const rowBytes = (rowLength / traits.blockSize) * traits.typeSize;
  const start = firstRow * rowBytes;
  const end = start + rowCount * rowBytes;
  const rows = Math.floor(bytes.length / rowBytes);
  if (!Number.isSafeInteger(firstRow) || !Number.isSafeInteger(rowCount) || firstRow < 0 || rowCount < 0 || end > bytes.length) {
    throw new GgufError(
      'TENSOR_OUT_OF_BOUNDS',
      `Tensor "${tensorName}": rows ${firstRow}..${firstRow + rowCount - 1} are outside its ${rows} rows.`,
      { tensor: tensorName, firstRow, rowCount, rows },
    );
  }
  return dequantize(type, bytes.subarray(start, end), rowLength * rowCount, out, tensorName);
}

// --- plain floats ---

function dequantF32(src: Uint8Array, n: number, dst: Float32Array): void {
  if (src.byteOffset % 4 === 0) {
    dst.set(new Float32Array(src.buffer, src.byteOffset, n));
  } else {
    new Uint8Array(dst.buffer, dst.byteOffset, n * 4).set(src); // little-endian host, like every browser
  }
}

function dequantF16(src: Uint8Array, n: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  if (src.byteOffset % 2 === 0) {
    const h = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) dst[i] = t[h[i]];
  } else {
    for (let i = 0; i < n; i++) dst[i] = t[src[2 * i] | (src[2 * i + 1] << 8)];
  }
}

function dequantBF16(src: Uint8Array, n: number, dst: Float32Array): void {
  // bf16 is the top half of an f32: write bits through an integer view of the output.
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
  for (let i = 0; i < n; i++) bits[i] = ((src[2 * i] | (src[2 * i + 1] << 8)) << 16) >>> 0;
}

// --- 32-element blocks ---

/** Q8_0 {f16 d; i8 qs[32]}: y = qs[j] * d. */
function dequantQ8_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 34, y += 32) {
    const d = t[src[o] | (src[o + 1] << 8)];
    for (let j = 0; j < 32; j++) dst[y + j] = ((src[o + 2 + j] << 24) >> 24) * d;
  }
}

/** Q4_0 {f16 d; u8 qs[16]}: low nibbles are elements 0-15, high nibbles 16-31; y = (q - 8) * d. */
function dequantQ4_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 18, y += 32) {
    const d = t[src[o] | (src[o + 1] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j];
      dst[y + j] = ((q & 0xf) - 8) * d;
      dst[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/** Q4_1 {f16 d, m; u8 qs[16]}: y = q * d + m. */
function dequantQ4_1(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 20, y += 32) {
    const d = t[src[o] | (src[o + 1] << 8)];
    const m = t[src[o + 2] | (src[o + 3] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j];
      dst[y + j] = (q & 0xf) * d + m;
      dst[y + j + 16] = (q >> 4) * d + m;
    }
  }
}

/** Q5_0 {f16 d; u32 qh (LE); u8 qs[16]}: bit j of qh is the 5th bit of element j; y = (q - 16) * d. */
function dequantQ5_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 22, y += 32) {
    const d = t[src[o] | (src[o + 1] << 8)];
    const qh = src[o + 2] | (src[o + 3] << 8) | (src[o + 4] << 16) | (src[o + 5] << 24);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j];
      dst[y + j] = (((q & 0xf) | (((qh >>> j) & 1) << 4)) - 16) * d;
      dst[y + j + 16] = (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d;
    }
  }
}

/** Q5_1 {f16 d, m; u32 qh; u8 qs[16]}: y = q * d + m. */
function dequantQ5_1(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 24, y += 32) {
    const d = t[src[o] | (src[o + 1] << 8)];
    const m = t[src[o + 2] | (src[o + 3] << 8)];
    const qh = src[o + 4] | (src[o + 5] << 8) | (src[o + 6] << 16) | (src[o + 7] << 24);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j];
      dst[y + j] = ((q & 0xf) | (((qh >>> j) & 1) << 4)) * d + m;
      dst[y + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d + m;
    }
  }
}

// --- 256-element K-quant super-blocks ---

/**
 * Unpacks the 12 bytes of 6-bit scales and mins of a Q4_K/Q5_K super-block (ggml's get_scale_min_k4):
 * sub-blocks 0-3 keep scale/min in the low 6 bits of bytes 0-3 / 4-7; sub-blocks 4-7 keep their low
 * 4 bits in the nibbles of bytes 8-11 and their top 2 bits in the spare top bits of bytes 0-3 / 4-7.
 */
function unpackScalesMins(src: Uint8Array, o: number, sc: Uint8Array, mn: Uint8Array): void {
  for (let j = 0; j < 4; j++) {
    sc[j] = src[o + j] & 63;
    mn[j] = src[o + j + 4] & 63;
  }
  for (let j = 4; j < 8; j++) {
    sc[j] = (src[o + j + 4] & 0xf) | ((src[o + j - 4] >> 6) << 4);
    mn[j] = (src[o + j + 4] >> 4) | ((src[o + j] >> 6) << 4);
  }
}

const kSc = new Uint8Array(8);
const kMn = new Uint8Array(8);

/**
 * Q4_K {f16 d, dmin; u8 scales[12]; u8 qs[128]}: 8 sub-blocks of 32. Each 32 bytes of qs hold two
 * sub-blocks: low nibbles the first, high nibbles the second. y = (d*sc) * q - (dmin*m).
 */
function dequantQ4_K(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 144) {
    const d = t[src[o] | (src[o + 1] << 8)];
    const dmin = t[src[o + 2] | (src[o + 3] << 8)];
    unpackScalesMins(src, o + 4, kSc, kMn);
    for (let c = 0, q = o + 16; c < 4; c++, q += 32) {
      const d1 = d * kSc[2 * c];
      const m1 = dmin * kMn[2 * c];
      const d2 = d * kSc[2 * c + 1];
      const m2 = dmin * kMn[2 * c + 1];
      for (let l = 0; l < 32; l++) dst[y + l] = d1 * (src[q + l] & 0xf) - m1;
      for (let l = 0; l < 32; l++) dst[y + 32 + l] = d2 * (src[q + l] >> 4) - m2;
      y += 64;
    }
  }
}

/**
 * Q5_K {f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: as Q4_K, plus a 5th bit per element from
 * qh[l], bit 2c for the low-nibble sub-block of chunk c and bit 2c+1 for the high-nibble one.
 */
function dequantQ5_K(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 176) {
    const d = t[src[o] | (src[o + 1] << 8)];
    const dmin = t[src[o + 2] | (src[o + 3] << 8)];
    unpackScalesMins(src, o + 4, kSc, kMn);
    const qh = o + 16;
    for (let c = 0, q = o + 48; c < 4; c++, q += 32) {
      const d1 = d * kSc[2 * c];
      const m1 = dmin * kMn[2 * c];
      const d2 = d * kSc[2 * c + 1];
      const m2 = dmin * kMn[2 * c + 1];
      const s1 = 2 * c;
      const s2 = 2 * c + 1;
      for (let l = 0; l < 32; l++) dst[y + l] = d1 * ((src[q + l] & 0xf) | (((src[qh + l] >> s1) & 1) << 4)) - m1;
      for (let l = 0; l < 32; l++) dst[y + 32 + l] = d2 * ((src[q + l] >> 4) | (((src[qh + l] >> s2) & 1) << 4)) - m2;
      y += 64;
    }
  }
}

const k6Scale = new Float64Array(16);

/**
 * Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} (d comes last): 16 sub-blocks of 16. Each half
 * (128 elements) uses 64 bytes of ql, 32 of qh and 8 scales; element l + 32k of the half takes its low
 * 4 bits from ql[l + 32(k&1)] (low nibble for k < 2, high for k >= 2) and its top 2 bits from qh[l] bits
 * 2k..2k+1. y = (d * sc) * (q - 32).
 */
function dequantQ6_K(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16ToF32Table();
  for (let b = 0, o = 0, y = 0; b < blocks; b++, o += 210) {
    const d = t[src[o + 208] | (src[o + 209] << 8)];
    for (let s = 0; s < 16; s++) k6Scale[s] = d * ((src[o + 192 + s] << 24) >> 24);
    for (let h = 0; h < 2; h++, y += 128) {
      const ql = o + 64 * h;
      const qh = o + 128 + 32 * h;
      const sc = 8 * h;
      for (let l = 0; l < 32; l++) {
        const is = sc + (l >> 4);
        const lo = src[ql + l];
        const hi = src[ql + l + 32];
        const bits = src[qh + l];
        dst[y + l] = k6Scale[is] * (((lo & 0xf) | ((bits & 3) << 4)) - 32);
        dst[y + l + 32] = k6Scale[is + 2] * (((hi & 0xf) | (((bits >> 2) & 3) << 4)) - 32);
        dst[y + l + 64] = k6Scale[is + 4] * (((lo >> 4) | (((bits >> 4) & 3) << 4)) - 32);
        dst[y + l + 96] = k6Scale[is + 6] * (((hi >> 4) | (((bits >> 6) & 3) << 4)) - 32);
      }
    }
  }
}

const KERNELS: Record<
  | GgmlType.F32
  | GgmlType.F16
  | GgmlType.BF16
  | GgmlType.Q8_0
  | GgmlType.Q4_0
  | GgmlType.Q4_1
  | GgmlType.Q5_0
  | GgmlType.Q5_1
  | GgmlType.Q4_K
  | GgmlType.Q5_K
  | GgmlType.Q6_K,
  Kernel
> = {
  [GgmlType.F32]: dequantF32,
  [GgmlType.F16]: dequantF16,
  [GgmlType.BF16]: dequantBF16,
  [GgmlType.Q8_0]: dequantQ8_0,
  [GgmlType.Q4_0]: dequantQ4_0,
  [GgmlType.Q4_1]: dequantQ4_1,
  [GgmlType.Q5_0]: dequantQ5_0,
  [GgmlType.Q5_1]: dequantQ5_1,
  [GgmlType.Q4_K]: dequantQ4_K,
  [GgmlType.Q5_K]: dequantQ5_K,
  [GgmlType.Q6_K]: dequantQ6_K,
};
