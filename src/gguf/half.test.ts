// f16 / bf16 <-> f32: exhaustive over all 65536 bit patterns, rounding checked at every midpoint and
// against an independent nearest-value search.
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f16ToF32Table, f32ToBf16, f32ToF16 } from './half.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (w: number): number => {
  u32[0] = w >>> 0;
  return f32[0];
};
const toBits = (x: number): number => {
  f32[0] = x;
  return u32[0];
};
/** Collects mismatches (first 10) so exhaustive loops stay fast; assert once with expect(bad).toEqual([]). */
function checker(): { check(ok: boolean, what: () => string): void; bad: string[] } {
  const bad: string[] = [];
  return { bad, check: (ok, what) => void (ok || bad.length >= 10 || bad.push(what())) };
}
const hex = (n: number): string => '0x' + n.toString(16);
const isNaNBits16 = (h: number): boolean => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Positive finite f16 values in bit order, plus 65536 standing in for "the value after 65504" (IEEE overflow rule). */
const ladder = (() => {
  const v = new Float64Array(0x7c01);
  for (let h = 0; h < 0x7c00; h++) v[h] = f16ToF32(h);
  v[0x7c00] = 65536;
  return v;
})();

/** Independent f32 -> f16: binary search for the neighbours, nearest wins, ties to the even pattern. */
function nearestF16(x: number): number {
  const w = toBits(x);
  if ((w & 0x7fffffff) > 0x7f800000) return -1; // NaN: checked separately
  const sign = (w >>> 16) & 0x8000;
  const a = Math.abs(fromBits(w));
  if (a >= 65536) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7c00; // ladder[lo] <= a < ladder[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ladder[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - ladder[lo];
  const dh = ladder[hi] - a;
  return sign | (dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi);
}

describe('f16', () => {
  it('decodes known values exactly', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0400)).toBe(2 ** -14);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16ToF32(0x3555)).toBe(0.333251953125);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f16ToF32(0xfc00)).toBe(-Infinity);
    expect(f16ToF32(0x7e00)).toBeNaN();
    expect(f16ToF32(0xfc01)).toBeNaN();
  });

  it('decode is exact and monotonic over all 65536 patterns; the table matches', () => {
    const table = f16ToF32Table();
    const { check, bad } = checker();
    for (let h = 0; h < 65536; h++) {
      const v = f16ToF32(h);
      if (isNaNBits16(h)) {
        check(Number.isNaN(v) && Number.isNaN(table[h]), () => `${hex(h)} not NaN`);
        continue;
      }
      check(Object.is(table[h], v), () => `table ${hex(h)}`);
      check(Math.fround(v) === v, () => `${hex(h)} not an f32`);
      const mag = h & 0x7fff;
      // strictly increasing magnitude with the bit pattern
      if (mag > 0) check(Math.abs(v) > Math.abs(f16ToF32(mag - 1)), () => `${hex(h)} not monotonic`);
      check((Math.sign(v) === -1 || Object.is(v, -0)) === ((h & 0x8000) !== 0), () => `${hex(h)} sign`);
    }
    expect(bad).toEqual([]);
  });

  it('encode(decode(h)) === h for every non-NaN pattern; NaN -> sign | 0x7e00', () => {
    const { check, bad } = checker();
    for (let h = 0; h < 65536; h++) {
      const back = f32ToF16(f16ToF32(h));
      // f16ToF32's NaN carries no sign
      check(back === (isNaNBits16(h) ? 0x7e00 : h), () => `${hex(h)} -> ${hex(back)}`);
    }
    expect(bad).toEqual([]);
    expect(f32ToF16(fromBits(0xffc00001))).toBe(0xfe00);
    expect(f32ToF16(fromBits(0x7f800001))).toBe(0x7e00);
  });

  it('rounds to nearest even at every midpoint between neighbouring f16 values (both signs)', () => {
    const { check, bad } = checker();
    for (let h = 0; h < 0x7c00; h++) {
      const a = f16ToF32(h);
      const b = h === 0x7bff ? 65536 : f16ToF32(h + 1);
      const mid = (a + b) / 2; // exact in f32: one more mantissa bit than f16
      check(Math.fround(mid) === mid, () => `midpoint after ${hex(h)} not an f32`);
      const even = h % 2 === 0 ? h : h + 1;
      const wm = toBits(mid);
      for (const s of [0, 0x8000]) {
        const sg = s ? -1 : 1;
        check(f32ToF16(sg * mid) === (s | even), () => `tie after ${hex(s | h)}`);
        check(f32ToF16(sg * fromBits(wm - 1)) === (s | h), () => `below midpoint after ${hex(s | h)}`);
        check(f32ToF16(sg * fromBits(wm + 1)) === (s | (h + 1)), () => `above midpoint after ${hex(s | h)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('overflow, underflow, infinities', () => {
    expect(f32ToF16(65519.99)).toBe(0x7bff);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(1e10)).toBe(0x7c00);
    expect(f32ToF16(-Infinity)).toBe(0xfc00);
    expect(f32ToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal: even is 0
    expect(f32ToF16(fromBits(toBits(2 ** -25) + 1))).toBe(1);
    expect(f32ToF16(-1e-30)).toBe(0x8000);
    expect(f32ToF16(fromBits(1))).toBe(0);
    expect(f32ToF16(-0)).toBe(0x8000);
  });

  it('agrees with an independent nearest-value search on random f32 bit patterns', () => {
    const rng = mulberry32(1);
    const { check, bad } = checker();
    for (let i = 0; i < 200_000; i++) {
      // Bias exponents toward the f16 range so most samples are interesting.
      const nearF16 = Math.floor(rng() * 2 ** 23) | ((96 + Math.floor(rng() * 48)) << 23) | (rng() < 0.5 ? 0x80000000 : 0);
      const w = i % 2 ? Math.floor(rng() * 2 ** 32) : nearF16 >>> 0;
      const x = fromBits(w);
      const expected = nearestF16(x);
      const got = f32ToF16(x);
      check(expected < 0 ? (got & 0x7fff) === 0x7e00 : got === expected, () => `${hex(w)} -> ${hex(got)}, want ${hex(expected)}`);
    }
    expect(bad).toEqual([]);
  });

  it('rounds a double to f32 first, as ggml receives a float', () => {
    // 1 + 2^-11 + 2^-40 is above the f16 midpoint as a double, but rounds to the midpoint as an f32.
    expect(f32ToF16(1 + 2 ** -11 + 2 ** -40)).toBe(0x3c00);
  });
});

/** Independent f32 -> bf16: nearest of the two truncation neighbours, ties to even; 2^128 beyond max. */
function nearestBf16(x: number): number {
  const w = toBits(x);
  const sign = w & 0x80000000;
  const mag = w & 0x7fffffff;
  const lo = mag & 0x7fff0000;
  if (lo === mag) return (w >>> 16) & 0xffff;
  const a = fromBits(mag);
  const vl = fromBits(lo);
  const vh = lo + 0x10000 === 0x7f800000 ? 2 ** 128 : fromBits(lo + 0x10000);
  const dl = a - vl;
  const dh = vh - a;
  const pick = dl < dh ? lo : dh < dl ? lo + 0x10000 : (lo >>> 16) % 2 === 0 ? lo : lo + 0x10000;
  return ((sign | pick) >>> 16) & 0xffff;
}

describe('bf16', () => {
  it('decodes every pattern as the top half of an f32', () => {
    const { check, bad } = checker();
    for (let h = 0; h < 65536; h++) {
      const v = bf16ToF32(h);
      const expected = fromBits(h << 16);
      check(Number.isNaN(expected) ? Number.isNaN(v) : Object.is(v, expected), () => hex(h));
    }
    expect(bad).toEqual([]);
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0x3eab)).toBe(0.333984375);
  });

  it('encode(decode(h)) === h for every pattern, NaN quieted (| 0x40), subnormals kept', () => {
    const { check, bad } = checker();
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      // Decode a NaN through raw bits: a JS NaN value may not keep its payload.
      const back = isNaN ? f32ToBf16(fromBits(h << 16)) : f32ToBf16(bf16ToF32(h));
      check(isNaN ? (back & 0x7f80) === 0x7f80 && (back & 0x40) !== 0 : back === h, () => `${hex(h)} -> ${hex(back)}`);
    }
    expect(bad).toEqual([]);
    expect(f32ToBf16(bf16ToF32(0x0001))).toBe(0x0001); // smallest subnormal survives (current ggml)
  });

  it('rounds to nearest even (checked at midpoints and on random patterns)', () => {
    expect(f32ToBf16(fromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(f32ToBf16(fromBits(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(f32ToBf16(fromBits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16(fromBits(0x7f7f8000))).toBe(0x7f80); // max bf16 tie -> inf
    expect(f32ToBf16(fromBits(0x7f800001))).toBe(0x7fc0); // signalling NaN -> quiet
    const rng = mulberry32(2);
    const { check, bad } = checker();
    for (let i = 0; i < 200_000; i++) {
      const w = Math.floor(rng() * 2 ** 32);
      if ((w & 0x7fffffff) > 0x7f800000) continue;
      check(f32ToBf16(fromBits(w)) === nearestBf16(fromBits(w)), () => hex(w));
    }
    expect(bad).toEqual([]);
  });
});
