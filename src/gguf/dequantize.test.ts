// Dequantization: hand-built blocks with hand-computed values for every type, special scales, bit-exactness
// against a slow C-order port (Math.fround after every float operation), row reads and errors.
import { describe, expect, it } from 'vitest';
import { dequantize, dequantizeRows } from './dequantize.js';
import { GgufError } from './errors.js';
import { SUPPORTED_TYPES } from './ggml-types.js';
import { f16ToF32 } from './half.js';
import { randomValidBlocks } from './quantize.js';
import { GgmlType } from './types.js';

/** Little-endian bytes of 16-bit pattern(s). */
const le16 = (...bits: number[]): number[] => bits.flatMap((b) => [b & 0xff, b >>> 8]);
/** `n` copies of byte `b`. */
const fill = (n: number, b: number): number[] => new Array<number>(n).fill(b);
/** Sets bytes at the given offsets. */
function poke(arr: number[], at: Record<number, number>): number[] {
  for (const [k, v] of Object.entries(at)) arr[Number(k)] = v;
  return arr;
}
/** A block of `n` values: per-element defaults, then overrides. */
function expected(n: number, base: (i: number) => number, at: Record<number, number>): number[] {
  const e = Array.from({ length: n }, (_, i) => base(i));
  for (const [k, v] of Object.entries(at)) e[Number(k)] = v;
  return e;
}
const deq = (type: GgmlType, bytes: number[], n: number): number[] => [...dequantize(type, new Uint8Array(bytes), n)];

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// f16 bit patterns used below
const H_1 = 0x3c00;
const H_2 = 0x4000;
const H_HALF = 0x3800;
const H_QUARTER = 0x3400;
const H_M1 = 0xbc00;
const H_INF = 0x7c00;
const H_NAN = 0x7e00;
const H_NEG0 = 0x8000;
const H_TINY = 0x0001; // 2^-24, the smallest subnormal

describe('dequantize: plain floats', () => {
  it('F32, aligned and unaligned', () => {
    const values = new Float32Array([1.5, -0, Infinity, 3.4028234663852886e38, 1e-45]);
    const raw = new Uint8Array(values.buffer);
    expect(dequantize(GgmlType.F32, raw, 5)).toEqual(values);
    const shifted = new Uint8Array(21);
    shifted.set(raw, 1);
    const out = dequantize(GgmlType.F32, shifted.subarray(1), 5);
    expect([...out]).toEqual([...values]);
    expect(Object.is(out[1], -0)).toBe(true);
  });

  it('F16: normal, subnormal, max, inf, NaN, -0 (aligned and unaligned)', () => {
    const bits = [H_1, 0xc000, H_TINY, 0x03ff, 0x7bff, H_INF, 0xfc00, H_NAN, H_NEG0, 0x3555];
    const want = [1, -2, 2 ** -24, 1023 * 2 ** -24, 65504, Infinity, -Infinity, NaN, -0, 0.333251953125];
    expect(deq(GgmlType.F16, le16(...bits), 10)).toEqual(want);
    const odd = new Uint8Array([0xaa, ...le16(...bits)]).subarray(1);
    expect([...dequantize(GgmlType.F16, odd, 10)]).toEqual(want);
    expect(Object.is(deq(GgmlType.F16, le16(H_NEG0), 1)[0], -0)).toBe(true);
  });

  it('BF16: exact top-half values, subnormal, inf, NaN, -0', () => {
    const bits = [0x3f80, 0xc040, 0x7f80, 0x0001, 0x7fc1, 0x8000, 0x3eab];
    const want = [1, -3, Infinity, 2 ** -133, NaN, -0, 0.333984375];
    expect(deq(GgmlType.BF16, le16(...bits), 7)).toEqual(want);
  });
});

describe('dequantize: 32-element blocks (hand-built)', () => {
  it('Q8_0 {f16 d; i8 qs[32]}: y = q * d', () => {
    const qs = poke(fill(32, 0), { 0: 1, 1: 0xff, 2: 0x7f, 3: 0x80, 31: 5 }); // 1, -1, 127, -128, ..., 5
    const out = deq(GgmlType.Q8_0, [...le16(H_HALF), ...qs], 32);
    expect(out).toEqual(expected(32, () => 0, { 0: 0.5, 1: -0.5, 2: 63.5, 3: -64, 31: 2.5 }));
  });

  it('Q4_0 {f16 d; qs[16]}: element j < 16 is the low nibble of qs[j], j >= 16 the high nibble of qs[j-16]; y = (q - 8) d', () => {
    const qs = poke(fill(16, 0x88), { 0: 0x1f, 1: 0x80, 15: 0x9a });
    const out = deq(GgmlType.Q4_0, [...le16(H_2), ...qs], 32);
    // el 0: (15-8)*2, el 16: (1-8)*2; el 1: (0-8)*2, el 17: 0; el 15: (10-8)*2, el 31: (9-8)*2
    expect(out).toEqual(expected(32, () => 0, { 0: 14, 16: -14, 1: -16, 17: 0, 15: 4, 31: 2 }));
  });

  it('Q4_1 {f16 d, m; qs[16]}: y = q d + m', () => {
    const qs = poke(fill(16, 0x22), { 0: 0x3f, 2: 0x00 });
    const out = deq(GgmlType.Q4_1, [...le16(H_HALF, H_M1), ...qs], 32);
    // default q = 2: 2*0.5 - 1 = 0; el 0: 15*0.5-1, el 16: 3*0.5-1; el 2, 18: q = 0 -> -1
    expect(out).toEqual(expected(32, () => 0, { 0: 6.5, 16: 0.5, 2: -1, 18: -1 }));
  });

  it('Q5_0 {f16 d; u32 qh; qs[16]}: bit j of qh (little-endian) is the 5th bit of element j; y = (q - 16) d', () => {
    // qh = 0x80020001: bits 0, 17, 31
    const qs = poke(fill(16, 0x00), { 0: 0x2f, 1: 0x30, 15: 0xf0 });
    const out = deq(GgmlType.Q5_0, [...le16(H_QUARTER), 0x01, 0x00, 0x02, 0x80, ...qs], 32);
    // default q = 0 -> -16 * 0.25 = -4
    // el 0: 15|16 = 31 -> 3.75; el 16: 2 -> -3.5; el 1: 0 -> -4; el 17: 3|16 = 19 -> 0.75; el 15: 0 -> -4; el 31: 15|16 -> 3.75
    expect(out).toEqual(expected(32, () => -4, { 0: 3.75, 16: -3.5, 1: -4, 17: 0.75, 15: -4, 31: 3.75 }));
  });

  it('Q5_1 {f16 d, m; u32 qh; qs[16]}: y = q d + m', () => {
    // d = 1, m = 0.5, qh = 0x00010002: bits 1 and 16
    const qs = poke(fill(16, 0x00), { 0: 0x70, 1: 0x4a });
    const out = deq(GgmlType.Q5_1, [...le16(H_1, H_HALF), 0x02, 0x00, 0x01, 0x00, ...qs], 32);
    // el 0: 0 -> 0.5; el 16: 7|16 = 23 -> 23.5; el 1: 10|16 = 26 -> 26.5; el 17: 4 -> 4.5
    expect(out).toEqual(expected(32, () => 0.5, { 0: 0.5, 16: 23.5, 1: 26.5, 17: 4.5 }));
  });
});

// Sub-block scales and mins for the Q4_K / Q5_K blocks: every sub-block of 4-7 has high bits set somewhere.
//   scales = [1, 2, 3, 63, 17, 33, 48, 5], mins = [0, 4, 63, 7, 20, 0, 36, 61]
// bytes 0-3: scale[j] | (scale[j+4] >> 4) << 6   = 1|1<<6, 2|2<<6, 3|3<<6, 63|0<<6
// bytes 4-7: min[j]   | (min[j+4]   >> 4) << 6   = 0|1<<6, 4|0<<6, 63|2<<6, 7|3<<6
// bytes 8-11: (scale[j+4] & 15) | (min[j+4] & 15) << 4 = 1|4<<4, 1|0<<4, 0|4<<4, 5|13<<4
const K_SCALES = [0x41, 0x82, 0xc3, 0x3f, 0x40, 0x04, 0xbf, 0xc7, 0x41, 0x01, 0x40, 0xd5];
const K_MN = [0, 4, 63, 7, 20, 0, 36, 61];

describe('dequantize: K-quant super-blocks (hand-built)', () => {
  it('Q4_K {f16 d, dmin; scales[12]; qs[128]}: y = d sc q - dmin m, 6-bit packed scales for all 8 sub-blocks', () => {
    // qs bytes 32c..32c+31: low nibble = sub-block 2c, high nibble = sub-block 2c+1 (elements 64c+l, 64c+32+l)
    const qs = poke(fill(128, 0), { 0: 0x5a, 31: 0xf0, 32: 0x3c, 64: 0x21, 127: 0xef });
    const out = deq(GgmlType.Q4_K, [...le16(H_HALF, H_QUARTER), ...K_SCALES, ...qs], 256);
    // d = 0.5, dmin = 0.25; q = 0 gives -0.25 * min of the sub-block
    const want = expected(256, (i) => -0.25 * K_MN[i >> 5] + 0, {
      0: 0.5 * 1 * 10 - 0, // 5
      31: 0,
      32: 0.5 * 2 * 5 - 0.25 * 4, // 4
      63: 0.5 * 2 * 15 - 0.25 * 4, // 14
      64: 0.5 * 3 * 12 - 0.25 * 63, // 2.25
      96: 0.5 * 63 * 3 - 0.25 * 7, // 92.75
      128: 0.5 * 17 * 1 - 0.25 * 20, // 3.5: sub-block 4 (high bits from bytes 0 and 4)
      160: 0.5 * 33 * 2 - 0, // 33: sub-block 5
      223: 0.5 * 48 * 15 - 0.25 * 36, // 351: sub-block 6
      255: 0.5 * 5 * 14 - 0.25 * 61, // 19.75: sub-block 7
    });
    expect(want.slice(0, 5)).toEqual([5, 0, 0, 0, 0]);
    expect([want[64], want[96], want[128], want[160], want[223], want[255]]).toEqual([2.25, 92.75, 3.5, 33, 351, 19.75]);
    expect(out).toEqual(want);
  });

  it('Q5_K {f16 d, dmin; scales[12]; qh[32]; qs[128]}: qh[l] bit 2c / 2c+1 is the 5th bit of chunk c low / high', () => {
    const qh = poke(fill(32, 0), { 0: 0b11, 5: 0b1000_0000, 31: 0b1_0000 });
    const qs = poke(fill(128, 0), { 0: 0x5a, 101: 0x00, 95: 0x3f });
    const out = deq(GgmlType.Q5_K, [...le16(H_1, H_HALF), ...K_SCALES, ...qh, ...qs], 256);
    // d = 1, dmin = 0.5
    const want = expected(256, (i) => -0.5 * K_MN[i >> 5] + 0, {
      0: 1 * 1 * 26 - 0, // 10 | 16
      32: 1 * 2 * 21 - 0.5 * 4, // 5 | 16 -> 40
      229: 1 * 5 * 16 - 0.5 * 61, // chunk 3 high, qh[5] bit 7 -> 49.5
      159: 1 * 17 * 31 - 0.5 * 20, // chunk 2 low, qh[31] bit 4 -> 517
      191: 1 * 33 * 3 - 0, // 99
    });
    expect([want[0], want[32], want[229], want[159], want[191], want[197]]).toEqual([26, 40, 49.5, 517, 99, -18]);
    expect(out).toEqual(want);
  });

  it('Q6_K {ql[128]; qh[64]; i8 scales[16]; f16 d}: y = d sc (q - 32), d last', () => {
    const scales = [1, -1, 2, -2, 3, 4, 127, -128, 5, 6, 7, 8, 9, 10, 11, -12];
    const ql = poke(fill(128, 0), { 0: 0x7b, 32: 0xd4, 17: 0xff, 49: 0x00, 95: 0x21, 127: 0x90 });
    const qh = poke(fill(64, 0), { 0: 0b11_10_01_00, 17: 0xff, 63: 0x00 });
    const out = deq(GgmlType.Q6_K, [...ql, ...qh, ...scales.map((s) => s & 0xff), ...le16(H_HALF)], 256);
    // default: ql = qh = 0 -> q = -32 -> 0.5 * sc * -32
    const want = expected(256, (i) => -16 * scales[i >> 4], {
      0: 0.5 * 1 * (11 - 32), // -10.5: ql[0] low, qh[0] bits 0-1 = 0
      32: 0.5 * 2 * ((4 | 16) - 32), // -12: ql[32] low, qh[0] bits 2-3 = 1
      64: 0.5 * 3 * ((7 | 32) - 32), // 10.5: ql[0] high, qh[0] bits 4-5 = 2
      96: 0.5 * 127 * ((13 | 48) - 32), // 1841.5: ql[32] high, qh[0] bits 6-7 = 3
      17: 0.5 * -1 * (63 - 32), // -15.5
      81: 0.5 * 4 * (63 - 32), // 62
      49: 0.5 * -2 * (48 - 32), // -16
      113: 0.5 * -128 * (48 - 32), // -1024
      159: 0.5 * 6 * (1 - 32), // -93: second half, ql[64+31] low
      223: 0.5 * 10 * (2 - 32), // -150: second half, ql[64+31] high
      255: 0.5 * -12 * (9 - 32), // 138: second half, ql[64+63] high
    });
    expect([want[0], want[32], want[64], want[96], want[113], want[255]]).toEqual([-10.5, -12, 10.5, 1841.5, -1024, 138]);
    expect(out).toEqual(want);
  });
});

describe('dequantize: special scales follow ggml operation order', () => {
  it('subnormal, inf, NaN and -0 f16 scales (Q8_0)', () => {
    const block = (d: number, qs: number[]): number[] => [...le16(d), ...qs, ...fill(32 - qs.length, 0)];
    expect(deq(GgmlType.Q8_0, block(H_TINY, [127, 0x81]), 32).slice(0, 2)).toEqual([127 * 2 ** -24, -127 * 2 ** -24]);
    expect(deq(GgmlType.Q8_0, block(H_INF, [0, 1, 0xff]), 32).slice(0, 3)).toEqual([NaN, Infinity, -Infinity]);
    expect(deq(GgmlType.Q8_0, block(H_NAN, [1]), 32)[0]).toBeNaN();
    const negZero = deq(GgmlType.Q8_0, block(H_NEG0, [3, 0xfd, 0]), 32);
    expect([Object.is(negZero[0], -0), Object.is(negZero[1], 0), Object.is(negZero[2], -0)]).toEqual([true, true, true]);
  });

  it('Q4_0 with d = -0: (q - 8) * -0 keeps IEEE signs', () => {
    const out = deq(GgmlType.Q4_0, [...le16(H_NEG0), 0x09, 0x07, ...fill(14, 0x88)], 32);
    expect([Object.is(out[0], -0), Object.is(out[1], 0), Object.is(out[16], 0), Object.is(out[2], -0)]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('Q4_K with dmin = inf: m = 0 gives inf*0 = NaN, m > 0 gives -inf; d = -0 gives -0', () => {
    // scales/mins: sub-block 0 min 0, sub-block 1 min 1 (byte 5), all scales 1
    const scales = [1, 1, 1, 1, 0, 1, 0, 0, 0x01, 0x01, 0x01, 0x01];
    const out = deq(GgmlType.Q4_K, [...le16(H_1, H_INF), ...scales, ...fill(128, 0x11)], 256);
    expect(out[0]).toBeNaN();
    expect(out[32]).toBe(-Infinity);
    const z = deq(GgmlType.Q4_K, [...le16(H_NEG0, 0), ...fill(12, 1), ...fill(128, 0)], 256);
    expect(Object.is(z[0], -0)).toBe(true); // (-0 * 1) * 0 - (0 * 1) = -0 - 0 = -0
  });

  it('BF16 NaN payload and f16 subnormal tensor values survive', () => {
    expect(deq(GgmlType.BF16, le16(0xffc1), 1)[0]).toBeNaN();
    expect(deq(GgmlType.F16, le16(0x8001), 1)[0]).toBe(-(2 ** -24));
  });
});

/** Slow port of ggml's dequantize_row_* in C loop order, rounding to f32 after every float operation. */
function referenceDequantize(type: GgmlType, b: Uint8Array, n: number): Float32Array {
  const f = Math.fround;
  const h = (o: number): number => f16ToF32(b[o] | (b[o + 1] << 8));
  const i8 = (v: number): number => (v << 24) >> 24;
  const y = new Float32Array(n);
  const traits = SUPPORTED_TYPES.get(type)!;
  const nb = n / traits.blockSize;
  for (let i = 0; i < nb; i++) {
    const o = i * traits.typeSize;
    const Y = i * traits.blockSize;
    switch (type) {
      case GgmlType.Q8_0:
        for (let j = 0; j < 32; j++) y[Y + j] = f(i8(b[o + 2 + j]) * h(o));
        break;
      case GgmlType.Q4_0:
      case GgmlType.Q4_1:
      case GgmlType.Q5_0:
      case GgmlType.Q5_1: {
        const hasM = type === GgmlType.Q4_1 || type === GgmlType.Q5_1;
        const five = type === GgmlType.Q5_0 || type === GgmlType.Q5_1;
        const d = h(o);
        const m = hasM ? h(o + 2) : 0;
        const qhAt = o + (hasM ? 4 : 2);
        const qh = five ? (b[qhAt] | (b[qhAt + 1] << 8) | (b[qhAt + 2] << 16) | (b[qhAt + 3] << 24)) >>> 0 : 0;
        const qs = qhAt + (five ? 4 : 0);
        for (let j = 0; j < 16; j++) {
          const xh0 = five ? ((qh >>> j) << 4) & 0x10 : 0;
          const xh1 = five ? (qh >>> (j + 12)) & 0x10 : 0;
          let x0 = (b[qs + j] & 0x0f) | xh0;
          let x1 = (b[qs + j] >> 4) | xh1;
          if (!hasM) {
            x0 -= five ? 16 : 8;
            x1 -= five ? 16 : 8;
            y[Y + j] = f(x0 * d);
            y[Y + j + 16] = f(x1 * d);
          } else {
            y[Y + j] = f(f(x0 * d) + m);
            y[Y + j + 16] = f(f(x1 * d) + m);
          }
        }
        break;
      }
      case GgmlType.Q4_K:
      case GgmlType.Q5_K: {
        const five = type === GgmlType.Q5_K;
        const d = h(o);
        const min = h(o + 2);
        const s = o + 4;
        const scaleMin = (j: number): [number, number] =>
          j < 4
            ? [b[s + j] & 63, b[s + j + 4] & 63]
            : [(b[s + j + 4] & 0xf) | ((b[s + j - 4] >> 6) << 4), (b[s + j + 4] >> 4) | ((b[s + j] >> 6) << 4)];
        let q = o + (five ? 48 : 16);
        const qh = o + 16;
        let yy = Y;
        let u1 = 1;
        let u2 = 2;
        for (let j = 0, is = 0; j < 256; j += 64, is += 2) {
          const [sc1, m1i] = scaleMin(is);
          const d1 = f(d * sc1);
          const m1 = f(min * m1i);
          const [sc2, m2i] = scaleMin(is + 1);
          const d2 = f(d * sc2);
          const m2 = f(min * m2i);
          for (let l = 0; l < 32; l++) y[yy++] = f(f(d1 * ((b[q + l] & 0xf) + (five && b[qh + l] & u1 ? 16 : 0))) - m1);
          for (let l = 0; l < 32; l++) y[yy++] = f(f(d2 * ((b[q + l] >> 4) + (five && b[qh + l] & u2 ? 16 : 0))) - m2);
          q += 32;
          u1 <<= 2;
          u2 <<= 2;
        }
        break;
      }
      case GgmlType.Q6_K: {
        const d = h(o + 208);
        let ql = o;
        let qh = o + 128;
        let sc = o + 192;
        for (let nn = 0; nn < 256; nn += 128) {
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const q1 = i8((b[ql + l] & 0xf) | (((b[qh + l] >> 0) & 3) << 4)) - 32;
            const q2 = i8((b[ql + l + 32] & 0xf) | (((b[qh + l] >> 2) & 3) << 4)) - 32;
            const q3 = i8((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32;
            const q4 = i8((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32;
            y[Y + nn + l] = f(f(d * i8(b[sc + is])) * q1);
            y[Y + nn + l + 32] = f(f(d * i8(b[sc + is + 2])) * q2);
            y[Y + nn + l + 64] = f(f(d * i8(b[sc + is + 4])) * q3);
            y[Y + nn + l + 96] = f(f(d * i8(b[sc + is + 6])) * q4);
          }
          ql += 64;
          qh += 32;
          sc += 8;
        }
        break;
      }
      default:
        throw new Error('reference covers quantized types only');
    }
  }
  return y;
}

const QUANTIZED = [
  GgmlType.Q8_0,
  GgmlType.Q4_0,
  GgmlType.Q4_1,
  GgmlType.Q5_0,
  GgmlType.Q5_1,
  GgmlType.Q4_K,
  GgmlType.Q5_K,
  GgmlType.Q6_K,
] as const;

describe('dequantize: bit-exact to a C-order port with f32 rounding at every step', () => {
  for (const type of QUANTIZED) {
    it(`${GgmlType[type]}: random blocks, scales drawn from all f16 patterns (incl. subnormal, inf, NaN)`, () => {
      const traits = SUPPORTED_TYPES.get(type)!;
      const rng = mulberry32(type);
      const blocks = 300;
      const bytes = randomValidBlocks(type, blocks, rng);
      // Overwrite the scale fields of half of the blocks with arbitrary bit patterns.
      const twoScales = [GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K].includes(type);
      const scaleOffsets = type === GgmlType.Q6_K ? [208] : twoScales ? [0, 2] : [0];
      for (let i = 0; i < blocks; i += 2) {
        for (const so of scaleOffsets) {
          const o = i * traits.typeSize + so;
          bytes[o] = Math.floor(rng() * 256);
          bytes[o + 1] = Math.floor(rng() * 256);
        }
      }
      const n = blocks * traits.blockSize;
      const got = dequantize(type, bytes, n);
      const want = referenceDequantize(type, bytes, n);
      // Compare bit patterns (NaN == NaN), so -0 vs 0 would also be caught.
      let mismatches = 0;
      const g = new Uint32Array(got.buffer);
      const w = new Uint32Array(want.buffer);
      for (let i = 0; i < n; i++) {
        if (g[i] !== w[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) mismatches++;
      }
      expect(mismatches).toBe(0);
    });
  }
});

describe('dequantizeRows', () => {
  for (const type of SUPPORTED_TYPES.keys()) {
    it(`${GgmlType[type]}: rows equal the slice of the full tensor`, () => {
      const traits = SUPPORTED_TYPES.get(type)!;
      const rowLength = 512;
      const rows = 5;
      const bytes = randomValidBlocks(type, (rowLength / traits.blockSize) * rows, mulberry32(100 + type));
      const full = dequantize(type, bytes, rowLength * rows);
      expect([...dequantizeRows(type, bytes, rowLength, 1, 3)]).toEqual([...full.subarray(rowLength, 4 * rowLength)]);
      expect([...dequantizeRows(type, bytes, rowLength, 4, 1)]).toEqual([...full.subarray(4 * rowLength)]);
      const out = new Float32Array(rowLength);
      expect(dequantizeRows(type, bytes, rowLength, 0, 1, out)).toBe(out);
      expect([...out]).toEqual([...full.subarray(0, rowLength)]);
    });
  }
});

describe('dequantize: errors', () => {
  const codeOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof GgufError ? e.code : `not a GgufError: ${String(e)}`;
    }
    return undefined;
  };

  it('unknown type number -> UNSUPPORTED_TENSOR_TYPE', () => {
    expect(codeOf(() => dequantize(200 as GgmlType, new Uint8Array(4), 1, undefined, 'x'))).toBe('UNSUPPORTED_TENSOR_TYPE');
  });

  it('a known but unsupported type names the tensor and the type', () => {
    expect(() => dequantize(GgmlType.IQ2_XS, new Uint8Array(74), 256, undefined, 'blk.3.ffn_down.weight')).toThrow(
      /blk\.3\.ffn_down\.weight.*IQ2_XS/,
    );
    expect(codeOf(() => dequantizeRows(GgmlType.IQ2_XS, new Uint8Array(74), 256, 0, 1))).toBe('UNSUPPORTED_TENSOR_TYPE');
  });

  it('wrong byte length -> TENSOR_SIZE_MISMATCH; partial block -> BAD_TENSOR_SHAPE', () => {
    expect(codeOf(() => dequantize(GgmlType.Q4_K, new Uint8Array(143), 256))).toBe('TENSOR_SIZE_MISMATCH');
    expect(codeOf(() => dequantize(GgmlType.Q8_0, new Uint8Array(35), 32))).toBe('TENSOR_SIZE_MISMATCH');
    expect(codeOf(() => dequantize(GgmlType.F32, new Uint8Array(8), 3))).toBe('TENSOR_SIZE_MISMATCH');
    expect(codeOf(() => dequantize(GgmlType.Q4_0, new Uint8Array(18), 31))).toBe('BAD_TENSOR_SHAPE');
    expect(codeOf(() => dequantizeRows(GgmlType.Q6_K, new Uint8Array(210), 100, 0, 1))).toBe('BAD_TENSOR_SHAPE');
  });

  it('rows past the end -> TENSOR_OUT_OF_BOUNDS; a short output array -> RangeError', () => {
    const bytes = new Uint8Array(2 * 34);
    expect(codeOf(() => dequantizeRows(GgmlType.Q8_0, bytes, 32, 1, 2))).toBe('TENSOR_OUT_OF_BOUNDS');
    expect(codeOf(() => dequantizeRows(GgmlType.Q8_0, bytes, 32, -1, 1))).toBe('TENSOR_OUT_OF_BOUNDS');
    expect(() => dequantize(GgmlType.Q8_0, bytes, 64, new Float32Array(63))).toThrow(RangeError);
  });
});
