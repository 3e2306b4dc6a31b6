// Weight matrices on the GPU: a GGUF tensor's ggml blocks repacked, exactly, into 4-byte-aligned
// structure-of-arrays "planes" that matvec, matmul and embed-gather decode, split into row ranges so no
// buffer exceeds the context's storage binding limit.
//
// Layout (per part of R rows, K = cols): a row is cut into blocks (32 elements; 256 for K-quants; 32 for
// float types, the last one zero-padded when K % 32 != 0), a block into 32-element granules. Every array
// is [block][plane][row] of fixed-size units, so the threads of a workgroup, one per row, read adjacent
// units (coalesced), and one granule of 4-bit codes is one vec4<u32>. Unit sizes and plane counts are in
// LAYOUTS below; the WGSL decoders are shaders/lib/weight-*.wgsl, mirrored by unpackWeightRow here.
//
// Bit orders inside a granule (e = element 0..31 of the granule, e = 8t + 4h + i, t = word, h = half, i = byte):
//   4-bit codes (one vec4<u32>): low 4 bits of element e at bit 8i + 4h of word t
//   (so `(word >> (0, 8, 16, 24)) & 15` gives elements 8t..8t+3 and `>> (4, 12, 20, 28)` 8t+4..8t+7);
//   5th bits (Q5_0/Q5_1/Q5_K, one u32): bit 8i + 2t + h;
//   Q6_K top 2 bits (vec2<u32>): word t >> 1, bits 8i + 4(t & 1) + 2h .. +1.
// f16 scales that come one per block are packed two per u32 over consecutive rows (unit = 2 bytes).
// Size: exactly the GGUF bytes, plus padding of each array to 16 bytes per part (and float rows to 32 elements).
// Decoders compute w = a * code + b (Q4_0: a = d, b = -8d), equal to ggml's d * (code - 8) (a zero may differ in sign).
import type { GpuContext } from '../gpu/context.js';
import { uploadStorageBuffer } from '../gpu/buffers.js';
import { GpuError } from '../gpu/errors.js';

/** ggml tensor type numbers (the same numbering as GgmlType in src/gguf/types.ts, which kernels/ may not import). */
export const WeightType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  BF16: 30,
} as const;

export interface WeightPart {
  /** First weight row (output index) held by this part. */
  readonly firstRow: number;
  readonly rowCount: number;
  /** The packed arrays of these rows, in binding order (see LAYOUTS). */
  readonly buffers: readonly GPUBuffer[];
}

export interface GpuWeight {
  readonly name: string;
  /** ggml type number (GgmlType). */
  readonly type: number;
  /** Output features N (ggml dims[1..] multiplied). */
  readonly rows: number;
  /** Input features K (ggml dims[0]). */
  readonly cols: number;
  readonly parts: readonly WeightPart[];
  /** Bytes on the GPU, all parts together. */
  readonly byteSize: number;
}

/** The packed arrays of a run of rows, before upload. */
export interface PackedWeight {
  readonly type: number;
  readonly rows: number;
  readonly cols: number;
  /** One array per GPU buffer in binding order, each a whole number of 16-byte units. */
  readonly arrays: readonly Uint32Array[];
  readonly byteSize: number;
}

/** One packed array: per block, `planes` units of `unit` bytes for every row. */
interface ArraySpec {
  readonly planes: number;
  readonly unit: 2 | 4 | 8 | 16;
}

interface TypeLayout {
  readonly name: string;
  /** Elements per block in the packed layout (32, or 256 for K-quants). */
  readonly blockElems: number;
  /** Bytes of one ggml block in the GGUF (for float types: per element). */
  readonly ggmlBlockBytes: number;
  /** ggml elements per block (1 for float types). */
  readonly ggmlBlockElems: number;
  readonly arrays: readonly ArraySpec[];
  /** Shader snippet suffix: shaders/lib/weight-NAME.wgsl. */
  readonly shader: string;
}

const L = (name: string, blockElems: number, ggmlBlockElems: number, ggmlBlockBytes: number, arrays: ArraySpec[], shader: string): TypeLayout => ({
  name,
  blockElems,
  ggmlBlockElems,
  ggmlBlockBytes,
  arrays,
  shader,
});

/** Per type: the arrays each part holds, in binding order. */
export const LAYOUTS: ReadonlyMap<number, TypeLayout> = new Map([
  // values as vec4<f32>, 8 planes per 32-element block
  [WeightType.F32, L('F32', 32, 1, 4, [{ planes: 8, unit: 16 }], 'f32')],
  // 8 halves per vec4<u32> plane, 4 planes
  [WeightType.F16, L('F16', 32, 1, 2, [{ planes: 4, unit: 16 }], 'f16')],
  [WeightType.BF16, L('BF16', 32, 1, 2, [{ planes: 4, unit: 16 }], 'bf16')],
  // int8 codes (2 planes of vec4<u32>), f16 d
  [WeightType.Q8_0, L('Q8_0', 32, 32, 34, [{ planes: 2, unit: 16 }, { planes: 1, unit: 2 }], 'q8_0')],
  // 4-bit codes, f16 d
  [WeightType.Q4_0, L('Q4_0', 32, 32, 18, [{ planes: 1, unit: 16 }, { planes: 1, unit: 2 }], 'q4_0')],
  // 4-bit codes, (d, m) f16 pair
  [WeightType.Q4_1, L('Q4_1', 32, 32, 20, [{ planes: 1, unit: 16 }, { planes: 1, unit: 4 }], 'q4_1')],
  // 4-bit codes, 5th bits, f16 d
  [WeightType.Q5_0, L('Q5_0', 32, 32, 22, [{ planes: 1, unit: 16 }, { planes: 1, unit: 4 }, { planes: 1, unit: 2 }], 'q5_0')],
  // 4-bit codes, 5th bits, (d, m)
  [WeightType.Q5_1, L('Q5_1', 32, 32, 24, [{ planes: 1, unit: 16 }, { planes: 1, unit: 4 }, { planes: 1, unit: 4 }], 'q5_1')],
  // 4-bit codes (8 granules), (d, dmin), 3 words of 6-bit scales/mins
  [WeightType.Q4_K, L('Q4_K', 256, 256, 144, [{ planes: 8, unit: 16 }, { planes: 1, unit: 4 }, { planes: 3, unit: 4 }], 'q4_k')],
  // 4-bit codes, 5th bits (8 granules), (d, dmin), scales/mins
  [
    WeightType.Q5_K,
    L('Q5_K', 256, 256, 176, [{ planes: 8, unit: 16 }, { planes: 8, unit: 4 }, { planes: 1, unit: 4 }, { planes: 3, unit: 4 }], 'q5_k'),
  ],
  // low 4 bits, top 2 bits (vec2<u32>), 16 int8 scales (4 words), f16 d
  [
    WeightType.Q6_K,
    L('Q6_K', 256, 256, 210, [{ planes: 8, unit: 16 }, { planes: 8, unit: 8 }, { planes: 4, unit: 4 }, { planes: 1, unit: 2 }], 'q6_k'),
  ],
]);

export function weightLayout(type: number, name = '(unnamed tensor)'): TypeLayout {
  const layout = LAYOUTS.get(type);
  if (!layout) {
    throw new Error(`Tensor "${name}" has ggml type ${type}, which the GPU kernels cannot read.`);
  }
  return layout;
}

/** Packed blocks per row (float types: ceil(cols / 32)). */
export function blocksPerRow(type: number, cols: number): number {
  return Math.ceil(cols / weightLayout(type).blockElems);
}

/** 32-element granules per row, the unit the kernels decode (float types: ceil(cols / 32)). */
export function granulesPerRow(type: number, cols: number): number {
  return blocksPerRow(type, cols) * (weightLayout(type).blockElems / 32);
}

const pad16 = (n: number) => Math.max(16, Math.ceil(n / 16) * 16);

/** Byte size of each packed array for `rows` rows of `cols` columns. */
export function packedArrayBytes(type: number, rows: number, cols: number): number[] {
  const layout = weightLayout(type);
  const nb = Math.ceil(cols / layout.blockElems);
  return layout.arrays.map((a) => pad16(nb * a.planes * rows * a.unit));
}

/** GGUF bytes of one row. */
export function ggufRowBytes(type: number, cols: number): number {
  const layout = weightLayout(type);
  return (cols / layout.ggmlBlockElems) * layout.ggmlBlockBytes;
}

function checkShape(type: number, rows: number, cols: number, bytes: Uint8Array, name: string): TypeLayout {
  const layout = weightLayout(type, name);
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 1 || cols < 1 || cols % layout.ggmlBlockElems !== 0) {
    throw new Error(`Tensor "${name}" (${layout.name}) has an invalid shape [${cols}, ${rows}].`);
  }
  const expected = rows * ggufRowBytes(type, cols);
  if (bytes.length !== expected) {
    throw new Error(`Tensor "${name}" (${layout.name}, [${cols}, ${rows}]) needs ${expected} bytes, got ${bytes.length}.`);
  }
  return layout;
}

// --- repacking ggml blocks into the planes (32-bit word operations: ~10x faster than per element) ---

const LO = 0x0f0f0f0f;
const HI = 0xf0f0f0f0 | 0;

/**
 * Q4_K/Q5_K scales: ggml's 12 bytes (get_scale_min_k4) as 3 words: words 0-1 byte j = low 4 bits of
 * scale j | low 4 bits of min j << 4; word 2 nibble j = top 2 bits of scale j | top 2 bits of min j << 2.
 */
function kScaleWords(src: Uint8Array, s: number): [number, number, number] {
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  for (let j = 0; j < 8; j++) {
    let sc: number, mn: number;
    if (j < 4) {
      sc = src[s + j] & 63;
      mn = src[s + j + 4] & 63;
    } else {
      sc = (src[s + j + 4] & 0xf) | ((src[s + j - 4] >> 6) << 4);
      mn = (src[s + j + 4] >> 4) | ((src[s + j] >> 6) << 4);
    }
    const b = (sc & 15) | ((mn & 15) << 4);
    if (j < 4) w0 |= b << (8 * j);
    else w1 |= b << (8 * (j - 4));
    w2 |= ((sc >> 4) | ((mn >> 4) << 2)) << (4 * j);
  }
  return [w0, w1, w2];
}

/**
 * Repacks the rows of a tensor into its packed arrays (pure; for tests and createGpuWeight).
 * `bytes` are the GGUF bytes of exactly `rows` rows of `cols` elements.
 */
export function packWeight(type: number, rows: number, cols: number, bytes: Uint8Array, name = '(unnamed tensor)'): PackedWeight {
  const layout = checkShape(type, rows, cols, bytes, name);
  const sizes = packedArrayBytes(type, rows, cols);
  const out = sizes.map((n) => new Uint32Array(n / 4));
  const [o0, o1, o2, o3] = out;
  const halves = out.map((a) => new Uint16Array(a.buffer)); // for the 2-byte (f16 scale) arrays
  const h1 = halves[1];
  const nb = Math.ceil(cols / layout.blockElems);
  const R = rows;
  const rowBytes = ggufRowBytes(type, cols);
  const src = bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const w = new Int32Array(8); // scratch words
  // 32 4-bit codes of a granule from 32 source bytes at q (element l = byte l), low or high nibbles, as 4 words
  // at dst[d]: word t = elements 8t..8t+3 in the low nibbles, 8t+4..8t+7 in the high nibbles.
  const nibbles32 = (q: number, high: boolean, dst: Uint32Array, d: number) => {
    for (let t = 0; t < 4; t++) {
      const a = u32(q + 8 * t);
      const b = u32(q + 8 * t + 4);
      dst[d + t] = high ? ((a >>> 4) & LO) | (b & HI) : (a & LO) | ((b & LO) << 4);
    }
  };
  // one loop nest per type family: the type switch sits outside the loops, which stay monomorphic for the JIT
  switch (type) {
    case WeightType.F32:
    case WeightType.F16:
    case WeightType.BF16: {
      const es = layout.ggmlBlockBytes; // bytes per element
      const planes = layout.arrays[0].planes;
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const first = b * 32;
          const bytesLeft = Math.min(32, cols - first) * es;
          const s = r * rowBytes + first * es;
          for (let p = 0; p < planes; p++) {
            const d = ((b * planes + p) * R + r) * 4;
            for (let c = 0; c < 4; c++) {
              const byte = 16 * p + 4 * c; // byte of the block this word starts at
              if (byte + 4 <= bytesLeft) o0[d + c] = u32(s + byte);
              else if (byte < bytesLeft) o0[d + c] = src[s + byte] | (src[s + byte + 1] << 8); // one f16/bf16 left
            }
          }
        }
      }
      break;
    }
    case WeightType.Q8_0:
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const s = r * rowBytes + b * 34;
          h1[b * R + r] = src[s] | (src[s + 1] << 8);
          const d0 = ((b * 2) * R + r) * 4;
          const d1 = ((b * 2 + 1) * R + r) * 4;
          for (let c = 0; c < 4; c++) {
            o0[d0 + c] = u32(s + 2 + 4 * c);
            o0[d1 + c] = u32(s + 18 + 4 * c);
          }
        }
      }
      break;
    case WeightType.Q4_0:
    case WeightType.Q4_1:
    case WeightType.Q5_0:
    case WeightType.Q5_1: {
      const hasMin = type === WeightType.Q4_1 || type === WeightType.Q5_1;
      const five = type === WeightType.Q5_0 || type === WeightType.Q5_1;
      const bb = layout.ggmlBlockBytes;
      const qsOff = (hasMin ? 4 : 2) + (five ? 4 : 0);
      const qhOff = hasMin ? 4 : 2;
      const scaleWords = five ? o2 : o1;
      const scaleHalves = five ? halves[2] : halves[1];
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const s = r * rowBytes + b * bb;
          const qs = s + qsOff;
          // byte j holds element j (low nibble) and j + 16 (high): words 0, 1 from low nibbles, 2, 3 from high
          const A = u32(qs);
          const B = u32(qs + 4);
          const C = u32(qs + 8);
          const D = u32(qs + 12);
          const d = (b * R + r) * 4;
          o0[d] = (A & LO) | ((B & LO) << 4);
          o0[d + 1] = (C & LO) | ((D & LO) << 4);
          o0[d + 2] = ((A >>> 4) & LO) | (B & HI);
          o0[d + 3] = ((C >>> 4) & LO) | (D & HI);
          if (five) {
            // 5th bit of element e is bit e of qh (elements in order); it goes to bit 8i + 2t + h, e = 8t + 4h + i
            const qh = u32(s + qhOff);
            let f = 0;
            for (let e = 0; e < 32; e++) f |= ((qh >>> e) & 1) << (8 * (e & 3) + 2 * (e >> 3) + ((e >> 2) & 1));
            o1[b * R + r] = f;
          }
          if (hasMin) scaleWords[b * R + r] = u32(s);
          else scaleHalves[b * R + r] = src[s] | (src[s + 1] << 8);
        }
      }
      break;
    }
    case WeightType.Q4_K:
    case WeightType.Q5_K: {
      const five = type === WeightType.Q5_K;
      const bb = layout.ggmlBlockBytes;
      const dm = five ? o2 : o1;
      const sc = five ? o3 : o2;
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const s = r * rowBytes + b * bb;
          const qs = s + (five ? 48 : 16);
          for (let j = 0; j < 8; j++) nibbles32(qs + 32 * (j >> 1), (j & 1) === 1, o0, ((b * 8 + j) * R + r) * 4);
          if (five) {
            // 5th bit of element l of granule j is bit j of qh[l]; it goes to bit 8i + k, k = 2t + h, l = 4k + i
            for (let k = 0; k < 8; k++) w[k] = u32(s + 16 + 4 * k);
            for (let j = 0; j < 8; j++) {
              let f = 0;
              for (let k = 0; k < 8; k++) f |= ((w[k] >>> j) & 0x01010101) << k;
              o1[(b * 8 + j) * R + r] = f;
            }
          }
          dm[b * R + r] = u32(s);
          const [w0, w1, w2] = kScaleWords(src, s + 4);
          sc[b * 3 * R + r] = w0;
          sc[(b * 3 + 1) * R + r] = w1;
          sc[(b * 3 + 2) * R + r] = w2;
        }
      }
      break;
    }
    case WeightType.Q6_K:
      for (let r = 0; r < rows; r++) {
        for (let b = 0; b < nb; b++) {
          const s = r * rowBytes + b * 210;
          for (let j = 0; j < 8; j++) {
            const h = j >> 2;
            const k = j & 3;
            const ql = s + 64 * h + 32 * (k & 1);
            const shift = k >= 2 ? 4 : 0;
            const d = ((b * 8 + j) * R + r) * 4;
            for (let t = 0; t < 4; t++) o0[d + t] = ((u32(ql + 8 * t) >>> shift) & LO) | (((u32(ql + 8 * t + 4) >>> shift) & LO) << 4);
            // top 2 bits of element l are bits 2k..2k+1 of qh[32h + l]; element 16u + 4c + i goes to word u,
            // bits 8i + 2c (c = 2(t & 1) + h)
            const qh = s + 128 + 32 * h;
            const dh = ((b * 8 + j) * R + r) * 2;
            for (let u = 0; u < 2; u++) {
              let f = 0;
              for (let c = 0; c < 4; c++) f |= ((u32(qh + 16 * u + 4 * c) >>> (2 * k)) & 0x03030303) << (2 * c);
              o1[dh + u] = f;
            }
          }
          for (let q = 0; q < 4; q++) o2[(b * 4 + q) * R + r] = u32(s + 192 + 4 * q);
          halves[3][b * R + r] = src[s + 208] | (src[s + 209] << 8);
        }
      }
      break;
  }
  return { type, rows, cols, arrays: out, byteSize: sizes.reduce((x, y) => x + y, 0) };
}

// --- CPU decode of the packed layout (mirrors shaders/lib/weight-*.wgsl; for tests) ---

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
const bitsToF32 = (bits: number) => ((u32Scratch[0] = bits >>> 0), f32Scratch[0]);
function halfToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Decodes row `row` of a packed weight to f32: exactly ggml's dequantization of the row (zeros may differ in sign). */
export function unpackWeightRow(packed: PackedWeight, row: number): Float32Array {
  const { type, rows: R, cols } = packed;
  const layout = weightLayout(type);
  const specs = layout.arrays;
  const w32 = packed.arrays;
  const u8 = w32.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const at = (a: number, b: number, p: number) => ((b * specs[a].planes + p) * R + row) * specs[a].unit;
  const word = (a: number, byteOff: number) => w32[a][byteOff >> 2];
  const half = (a: number, byteOff: number) => u8[a][byteOff] | (u8[a][byteOff + 1] << 8);
  const nb = Math.ceil(cols / layout.blockElems);
  const out = new Float32Array(nb * layout.blockElems);
  const c = new Float64Array(32);
  // One granule, as the WGSL decoders compute it: out[k0 + e] = a * c[e] + b, (a, b) = (a0, b0) for e < 16, else
  // (a1, b1); a * c is exact, so the sum rounds once (like ggml, up to the sign of zero).
  const emit = (k0: number, a0: number, a1: number, b0: number, b1: number) => {
    for (let e = 0; e < 32; e++) out[k0 + e] = e < 16 ? a0 * c[e] + b0 : a1 * c[e] + b1;
  };
  const nibbles = (a: number, o: number) => {
    for (let t = 0; t < 4; t++) {
      const w = word(a, o + 4 * t);
      for (let i = 0; i < 4; i++) {
        c[8 * t + i] = (w >>> (8 * i)) & 15;
        c[8 * t + 4 + i] = (w >>> (8 * i + 4)) & 15;
      }
    }
  };
  const fifth = (a: number, o: number) => {
    const w = word(a, o);
    for (let e = 0; e < 32; e++) c[e] += ((w >>> (8 * (e & 3) + 2 * (e >> 3) + ((e >> 2) & 1))) & 1) * 16;
  };
  for (let b = 0; b < nb; b++) {
    switch (type) {
      case WeightType.F32:
        for (let e = 0; e < 32; e++) out[32 * b + e] = bitsToF32(word(0, at(0, b, e >> 2) + 4 * (e & 3)));
        break;
      case WeightType.F16:
      case WeightType.BF16:
        for (let e = 0; e < 32; e++) {
          const h = half(0, at(0, b, e >> 3) + 2 * (e & 7));
          out[32 * b + e] = type === WeightType.F16 ? halfToF32(h) : bitsToF32(h << 16);
        }
        break;
      case WeightType.Q8_0: {
        for (let e = 0; e < 32; e++) c[e] = (u8[0][at(0, b, e >> 4) + (e & 15)] << 24) >> 24;
        const d = halfToF32(half(1, at(1, b, 0)));
        emit(32 * b, d, d, 0, 0);
        break;
      }
      case WeightType.Q4_0:
      case WeightType.Q5_0: {
        const five = type === WeightType.Q5_0;
        nibbles(0, at(0, b, 0));
        if (five) fifth(1, at(1, b, 0));
        const d = halfToF32(half(five ? 2 : 1, at(five ? 2 : 1, b, 0)));
        const off = (five ? -16 : -8) * d;
        emit(32 * b, d, d, off, off);
        break;
      }
      case WeightType.Q4_1:
      case WeightType.Q5_1: {
        const five = type === WeightType.Q5_1;
        nibbles(0, at(0, b, 0));
        if (five) fifth(1, at(1, b, 0));
        const o = at(five ? 2 : 1, b, 0);
        const d = halfToF32(half(five ? 2 : 1, o));
        const m = halfToF32(half(five ? 2 : 1, o + 2));
        emit(32 * b, d, d, m, m);
        break;
      }
      case WeightType.Q4_K:
      case WeightType.Q5_K: {
        const five = type === WeightType.Q5_K;
        const dmA = five ? 2 : 1;
        const scA = five ? 3 : 2;
        const d = halfToF32(half(dmA, at(dmA, b, 0)));
        const dmin = halfToF32(half(dmA, at(dmA, b, 0) + 2));
        const s2 = word(scA, at(scA, b, 2));
        for (let j = 0; j < 8; j++) {
          nibbles(0, at(0, b, j));
          if (five) fifth(1, at(1, b, j));
          const lo = u8[scA][at(scA, b, j >> 2) + (j & 3)];
          const hi = (s2 >>> (4 * j)) & 15;
          const sc = (lo & 15) | ((hi & 3) << 4);
          const mn = (lo >> 4) | ((hi >> 2) << 4);
          const a = Math.fround(d * sc);
          const m = -Math.fround(dmin * mn);
          emit(256 * b + 32 * j, a, a, m, m);
        }
        break;
      }
      case WeightType.Q6_K: {
        const d = halfToF32(half(3, at(3, b, 0)));
        for (let j = 0; j < 8; j++) {
          nibbles(0, at(0, b, j));
          const o = at(1, b, j);
          for (let e = 0; e < 32; e++) {
            const t = e >> 3;
            const w = word(1, o + 4 * (t >> 1));
            c[e] += ((w >>> (8 * (e & 3) + 4 * (t & 1) + 2 * ((e >> 2) & 1))) & 3) * 16;
          }
          const so = at(2, b, j >> 1) + 2 * (j & 1);
          const a0 = Math.fround(d * ((u8[2][so] << 24) >> 24));
          const a1 = Math.fround(d * ((u8[2][so + 1] << 24) >> 24));
          emit(256 * b + 32 * j, a0, a1, -32 * a0, -32 * a1);
        }
        break;
      }
    }
  }
  return out.length === cols ? out : out.slice(0, cols);
}

// --- upload ---

/**
 * Repacks a GGUF tensor (`dims` in ggml order: [cols, rows...]) and uploads it, split into row ranges
 * so that no buffer exceeds ctx.limits.maxStorageBindingSize.
 */
export function createGpuWeight(ctx: GpuContext, name: string, type: number, dims: readonly number[], bytes: Uint8Array): GpuWeight {
  const cols = dims[0] ?? 1;
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i];
  checkShape(type, rows, cols, bytes, name);
  const maxRows = maxRowsPerPart(type, cols, ctx.limits.maxStorageBindingSize, name);
  const partCount = Math.ceil(rows / maxRows);
  const perPart = Math.ceil(rows / partCount);
  const rowBytes = ggufRowBytes(type, cols);
  const parts: WeightPart[] = [];
  let byteSize = 0;
  for (let firstRow = 0; firstRow < rows; firstRow += perPart) {
    const rowCount = Math.min(perPart, rows - firstRow);
    const packed = packWeight(type, rowCount, cols, bytes.subarray(firstRow * rowBytes, (firstRow + rowCount) * rowBytes), name);
    const buffers = packed.arrays.map((a, i) => uploadStorageBuffer(ctx, a, `${name}[${firstRow}+${rowCount}].${i}`));
    byteSize += packed.byteSize;
    parts.push({ firstRow, rowCount, buffers });
  }
  return { name, type, rows, cols, parts, byteSize };
}

/** Most rows whose packed arrays each fit in `limit` bytes. */
export function maxRowsPerPart(type: number, cols: number, limit: number, name = '(unnamed tensor)'): number {
  const layout = weightLayout(type, name);
  const nb = Math.ceil(cols / layout.blockElems);
  const worstPerRow = Math.max(...layout.arrays.map((a) => nb * a.planes * a.unit));
  let n = Math.floor(limit / worstPerRow);
  while (n > 0 && packedArrayBytes(type, n, cols).some((s) => s > limit)) n--;
  if (n < 1) {
    throw new GpuError('TOO_LARGE', `One row of tensor "${name}" (${cols} ${layout.name} columns) exceeds the ${limit}-byte binding limit.`, {
      tensor: name,
      cols,
      limit,
    });
  }
  return n;
}
