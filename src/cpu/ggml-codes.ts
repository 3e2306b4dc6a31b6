// Splits ggml-quantized rows into integer codes, one scale and (optionally) one offset per group of 16 or 32
// columns: value = scale * code + offset. This is the exact content the CPU layouts store (cpu/layouts.ts).
import { dequantize } from '../gguf/dequantize.js';
import { f16ToF32Table } from '../gguf/half.js';
import { GgmlType } from '../gguf/types.js';
import type { LayoutFormat } from './wat/kernels-wat.js';

export interface DecodedRows {
  readonly format: LayoutFormat;
  /** Elements per scale/offset group (16 for Q6_K, else 32; f32 rows have none). */
  readonly group: number;
  /** [rows * cols] codes (f32 layout: unused). */
  readonly codes: Int8Array;
  /** [rows * cols / group] f32 scales. */
  readonly scales: Float32Array;
  /** [rows * cols / group] f32 offsets, for formats that store them. */
  readonly offsets: Float32Array | undefined;
  /** [rows * cols] values, f32 layout only. */
  readonly values: Float32Array | undefined;
}

/** The CPU layout each ggml type is repacked into. */
export function layoutFormatOf(type: GgmlType): LayoutFormat {
  switch (type) {
    case GgmlType.Q4_0:
      return 'q4s';
    case GgmlType.Q4_1:
    case GgmlType.Q4_K:
      return 'q4o';
    case GgmlType.Q8_0:
    case GgmlType.Q5_0:
      return 'i8';
    case GgmlType.Q5_1:
    case GgmlType.Q5_K:
      return 'u8o';
    case GgmlType.Q6_K:
      return 'u8g16';
    default:
      return 'f32';
  }
}

const h16 = (src: Uint8Array, o: number, t: Float32Array) => t[src[o] | (src[o + 1] << 8)];

/** Decodes `rows` rows of `cols` elements of a ggml tensor's bytes. */
export function decodeRows(type: GgmlType, bytes: Uint8Array, rows: number, cols: number): DecodedRows {
  const format = layoutFormatOf(type);
  const n = rows * cols;
  if (format === 'f32') {
    return { format, group: 32, codes: new Int8Array(0), scales: new Float32Array(0), offsets: undefined, values: dequantize(type, bytes, n) };
  }
  const group = format === 'u8g16' ? 16 : 32;
  const codes = new Int8Array(n);
  const scales = new Float32Array(n / group);
  const hasOffsets = format === 'q4o' || format === 'u8o';
  const offsets = hasOffsets ? new Float32Array(n / group) : undefined;
  const t = f16ToF32Table();
  const blocks32 = n / 32;
  switch (type) {
    case GgmlType.Q4_0:
    case GgmlType.Q4_1: {
      const size = type === GgmlType.Q4_0 ? 18 : 20;
      const qs = type === GgmlType.Q4_0 ? 2 : 4;
      for (let b = 0, o = 0; b < blocks32; b++, o += size) {
        scales[b] = h16(bytes, o, t);
        if (offsets) offsets[b] = h16(bytes, o + 2, t);
        for (let j = 0; j < 16; j++) {
          const q = bytes[o + qs + j];
          codes[32 * b + j] = q & 15;
          codes[32 * b + j + 16] = q >> 4;
        }
      }
      break;
    }
    case GgmlType.Q5_0:
    case GgmlType.Q5_1: {
      const size = type === GgmlType.Q5_0 ? 22 : 24;
      const qhAt = type === GgmlType.Q5_0 ? 2 : 4;
      const bias = type === GgmlType.Q5_0 ? 16 : 0;
      for (let b = 0, o = 0; b < blocks32; b++, o += size) {
        scales[b] = h16(bytes, o, t);
        if (offsets) offsets[b] = h16(bytes, o + 2, t);
        const qh = bytes[o + qhAt] | (bytes[o + qhAt + 1] << 8) | (bytes[o + qhAt + 2] << 16) | (bytes[o + qhAt + 3] << 24);
        for (let j = 0; j < 16; j++) {
          const q = bytes[o + qhAt + 4 + j];
          codes[32 * b + j] = ((q & 15) | (((qh >>> j) & 1) << 4)) - bias;
          codes[32 * b + j + 16] = ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - bias;
        }
      }
      break;
    }
    case GgmlType.Q8_0:
      for (let b = 0, o = 0; b < blocks32; b++, o += 34) {
        scales[b] = h16(bytes, o, t);
        for (let j = 0; j < 32; j++) codes[32 * b + j] = (bytes[o + 2 + j] << 24) >> 24;
      }
      break;
    case GgmlType.Q4_K:
    case GgmlType.Q5_K: {
      const five = type === GgmlType.Q5_K;
      const size = five ? 176 : 144;
      const sc = new Uint8Array(8);
      const mn = new Uint8Array(8);
      for (let sb = 0, o = 0; sb < n / 256; sb++, o += size) {
        const d = h16(bytes, o, t);
        const dmin = h16(bytes, o + 2, t);
        unpackScalesMins(bytes, o + 4, sc, mn);
        const qs = o + (five ? 48 : 16);
        for (let c = 0; c < 4; c++) {
          for (const half of [0, 1]) {
            const sub = 2 * c + half;
            const g = 8 * sb + sub;
            scales[g] = Math.fround(d * sc[sub]);
            offsets![g] = -Math.fround(dmin * mn[sub]);
            for (let l = 0; l < 32; l++) {
              const byte = bytes[qs + 32 * c + l];
              let q = half ? byte >> 4 : byte & 15;
              if (five) q |= ((bytes[o + 16 + l] >> sub) & 1) << 4;
              codes[32 * g + l] = q;
            }
          }
        }
      }
      break;
    }
    case GgmlType.Q6_K:
      for (let sb = 0, o = 0; sb < n / 256; sb++, o += 210) {
        const d = h16(bytes, o + 208, t);
        for (let s = 0; s < 16; s++) scales[16 * sb + s] = Math.fround(d * ((bytes[o + 192 + s] << 24) >> 24));
        for (let h = 0; h < 2; h++) {
          const ql = o + 64 * h;
          const qh = o + 128 + 32 * h;
          const y = 256 * sb + 128 * h;
          for (let l = 0; l < 32; l++) {
            const lo = bytes[ql + l];
            const hi = bytes[ql + l + 32];
            const bits = bytes[qh + l];
            // Unsigned 6-bit codes; the layout implies the offset -32 * scale.
            codes[y + l] = (lo & 15) | ((bits & 3) << 4);
            codes[y + l + 32] = (hi & 15) | (((bits >> 2) & 3) << 4);
            codes[y + l + 64] = (lo >> 4) | (((bits >> 4) & 3) << 4);
            codes[y + l + 96] = (hi >> 4) | (((bits >> 6) & 3) << 4);
          }
        }
      }
      break;
    default:
      throw new Error(`decodeRows: no integer layout for ggml type ${type}`);
  }
  return { format, group, codes, scales, offsets, values: undefined };
}

/** ggml's get_scale_min_k4 for the 12 packed scale bytes of a Q4_K/Q5_K super-block. */
export function unpackScalesMins(src: Uint8Array, o: number, sc: Uint8Array, mn: Uint8Array): void {
  for (let j = 0; j < 4; j++) {
    sc[j] = src[o + j] & 63;
    mn[j] = src[o + j + 4] & 63;
  }
  for (let j = 4; j < 8; j++) {
    sc[j] = (src[o + j + 4] & 0xf) | ((src[o + j - 4] >> 6) << 4);
    mn[j] = (src[o + j + 4] >> 4) | ((src[o + j] >> 6) << 4);
  }
}
