// The inner loops of packWeight (weight-layout.ts): one function per type family that repacks a tile of rows,
// block-major, from 32-bit words of the GGUF bytes into the [block][plane][row] arrays described at the top of
// weight-layout.ts. The caller copies each tile into the words `W`: row r of the tile starts at word r * stride
// (float rows zero-padded to whole 32-element blocks). Within a row a block starts at byte b * blockBytes, so
// whether a run of bytes is 4-aligned depends only on the block, never on the row. Q4_0/Q5_0/Q8_0/Q6_K blocks
// are 18/22/34/210 bytes (and the codes of the first three follow a 2-byte d), so runs start at 2 mod 4 too: for
// these the caller places a second copy of the tile 2 bytes further on, from word `shifted` (byte x of row r at
// byte 4 * (shifted + r * stride) + x + 2), where a run that starts at 2 mod 4 in the first copy is aligned.
//
// Output indices: array a, unit (block b, plane p, row r) is at ((b * planes + p) * R + r) * unitWords, R = all rows.

const LO = 0x0f0f0f0f;
const HI = 0xf0f0f0f0 | 0;

/** Word index, in row 0, of the run of bytes that starts at byte y of a row (see `shifted` above). */
const wordAt = (y: number, shifted: number) => ((y & 2) === 0 ? y >> 2 : shifted + ((y + 2) >> 2));

/**
 * Q5_0/Q5_1 5th bits: byte n of ggml's qh holds elements e = 8n + j (j = 0..7), which go to bit
 * 8i + 2t + h (e = 8t + 4h + i) = Q5_SPREAD[byte] << 2n.
 */
const Q5_SPREAD = new Uint32Array(256);
for (let x = 0; x < 256; x++) {
  let v = 0;
  for (let j = 0; j < 8; j++) if ((x >> j) & 1) v |= 1 << (8 * (j & 3) + (j >> 2));
  Q5_SPREAD[x] = v;
}

/** Nibbles 0, 2, 4, 6 of a word whose bytes each hold a value < 16, packed into 16 bits. */
const gather4 = (x: number) => (x & 0xf) | ((x >>> 4) & 0xf0) | ((x >>> 8) & 0xf00) | ((x >>> 12) & 0xf000);

/** F32/F16/BF16: a block is `planes` 16-byte units of the row's bytes, copied as they are. */
export function packFloatTile(W: Uint32Array, stride: number, r0: number, n: number, R: number, nb: number, planes: number, dst: Uint32Array): void {
  const bw = planes * 4;
  for (let b = 0; b < nb; b++) {
    for (let p = 0; p < planes; p++) {
      let s = b * bw + 4 * p;
      let d = ((b * planes + p) * R + r0) * 4;
      for (let r = 0; r < n; r++, s += stride, d += 4) {
        dst[d] = W[s];
        dst[d + 1] = W[s + 1];
        dst[d + 2] = W[s + 2];
        dst[d + 3] = W[s + 3];
      }
    }
  }
}

/** Q8_0 (34-byte blocks: f16 d, 32 int8 codes): codes as 2 planes of 16 bytes, d as 2-byte units. */
export function packQ8_0Tile(W: Uint32Array, stride: number, shifted: number, r0: number, n: number, R: number, nb: number, codes: Uint32Array, scales: Uint16Array): void {
  const R4 = R * 4;
  for (let b = 0; b < nb; b++) {
    const x = b * 34;
    const dShift = (x & 2) << 3; // d is the low or high half of word x >> 2
    let i = x >> 2;
    let q = wordAt(x + 2, shifted);
    let d = b * 2 * R4 + r0 * 4;
    let h = b * R + r0;
    for (let r = 0; r < n; r++, i += stride, q += stride, d += 4, h++) {
      scales[h] = W[i] >>> dShift;
      codes[d] = W[q];
      codes[d + 1] = W[q + 1];
      codes[d + 2] = W[q + 2];
      codes[d + 3] = W[q + 3];
      codes[d + R4] = W[q + 4];
      codes[d + R4 + 1] = W[q + 5];
      codes[d + R4 + 2] = W[q + 6];
      codes[d + R4 + 3] = W[q + 7];
    }
  }
}

/**
 * Q4_0 (18 bytes: d, 16 qs), Q4_1 (20: d, m, qs), Q5_0 (22: d, qh, qs), Q5_1 (24: d, m, qh, qs): 4-bit codes
 * (one 16-byte unit), 5th bits (one word), scale (2-byte d, or the 4-byte d, m pair).
 */
export function packQ4Tile(
  W: Uint32Array,
  stride: number,
  shifted: number,
  r0: number,
  n: number,
  R: number,
  nb: number,
  blockBytes: number,
  five: boolean,
  hasMin: boolean,
  codes: Uint32Array,
  fifth: Uint32Array,
  scaleWords: Uint32Array,
  scaleHalves: Uint16Array,
): void {
  for (let b = 0; b < nb; b++) {
    const x = b * blockBytes;
    const dShift = (x & 2) << 3;
    let i = x >> 2;
    let j = wordAt(x + (hasMin ? 4 : 2), shifted); // [qh,] qs
    let d = (b * R + r0) * 4;
    let h = b * R + r0;
    for (let r = 0; r < n; r++, i += stride, j += stride, d += 4, h++) {
      if (hasMin) scaleWords[h] = W[i];
      else scaleHalves[h] = W[i] >>> dShift;
      let o = j;
      if (five) {
        const qh = W[o++];
        fifth[h] = Q5_SPREAD[qh & 255] | (Q5_SPREAD[(qh >>> 8) & 255] << 2) | (Q5_SPREAD[(qh >>> 16) & 255] << 4) | (Q5_SPREAD[qh >>> 24] << 6);
      }
      // byte l holds element l (low nibble) and l + 16 (high): words 0, 1 from low nibbles, 2, 3 from high
      const a = W[o];
      const c = W[o + 1];
      const e = W[o + 2];
      const f = W[o + 3];
      codes[d] = (a & LO) | ((c & LO) << 4);
      codes[d + 1] = (e & LO) | ((f & LO) << 4);
      codes[d + 2] = ((a >>> 4) & LO) | (c & HI);
      codes[d + 3] = ((e >>> 4) & LO) | (f & HI);
    }
  }
}

/**
 * Q4_K (144 bytes: d, dmin, 12 scale bytes, 128 qs) and Q5_K (176: d, dmin, scales, 32 qh, 128 qs): blocks are
 * whole words. 8 granules of codes, 8 words of 5th bits, the (d, dmin) word, 3 scale words.
 */
export function packKTile(
  W: Uint32Array,
  stride: number,
  r0: number,
  n: number,
  R: number,
  nb: number,
  five: boolean,
  codes: Uint32Array,
  fifth: Uint32Array,
  dm: Uint32Array,
  sc: Uint32Array,
): void {
  const bw = five ? 44 : 36; // words per block
  const qw = five ? 12 : 4; // first word of qs
  const R4 = R * 4;
  for (let b = 0; b < nb; b++) {
    let i = b * bw;
    let h = b * R + r0;
    let s = b * 3 * R + r0;
    let g = b * 8 * R + r0; // granule 0's unit of this row
    for (let r = 0; r < n; r++, i += stride, h++, s++, g++) {
      dm[h] = W[i];
      // ggml's 12 scale bytes q (get_scale_min_k4) as 3 words: words 0-1 byte j = low 4 bits of scale j | low 4
      // bits of min j << 4 (j < 4: q[j], q[j + 4]; j >= 4: both in q[j + 4]); word 2 nibble j = top 2 bits of
      // scale j | top 2 bits of min j << 2 (j < 4: bits 4-5 of q[j], q[j + 4]; j >= 4: bits 6-7 of q[j - 4], q[j])
      const s0 = W[i + 1];
      const s1 = W[i + 2];
      sc[s] = (s0 & LO) | ((s1 & LO) << 4);
      sc[s + R] = W[i + 3];
      const lo = ((s0 >>> 4) & 0x03030303) | (((s1 >>> 4) & 0x03030303) << 2);
      const hi = ((s0 >>> 6) & 0x03030303) | (((s1 >>> 6) & 0x03030303) << 2);
      sc[s + 2 * R] = gather4(lo) | (gather4(hi) << 16);
      // 32 qs bytes per pair of granules: granule 2k from the low nibbles, 2k + 1 from the high
      for (let k = 0; k < 4; k++) {
        const q = i + qw + 8 * k;
        const dl = (g + 2 * k * R) * 4;
        const dh = dl + R4;
        for (let t = 0; t < 4; t++) {
          const a = W[q + 2 * t];
          const c = W[q + 2 * t + 1];
          codes[dl + t] = (a & LO) | ((c & LO) << 4);
          codes[dh + t] = ((a >>> 4) & LO) | (c & HI);
        }
      }
      if (five) {
        // 5th bit of element 4k + l of granule j is bit j of byte l of qh word k; it goes to bit 8l + k of
        // granule j's word: in each byte lane, an 8x8 bit transpose of the 8 words
        let w0 = W[i + 4];
        let w1 = W[i + 5];
        let w2 = W[i + 6];
        let w3 = W[i + 7];
        let w4 = W[i + 8];
        let w5 = W[i + 9];
        let w6 = W[i + 10];
        let w7 = W[i + 11];
        let t: number;
        t = ((w0 >>> 4) ^ w4) & 0x0f0f0f0f; w4 ^= t; w0 ^= t << 4;
        t = ((w1 >>> 4) ^ w5) & 0x0f0f0f0f; w5 ^= t; w1 ^= t << 4;
        t = ((w2 >>> 4) ^ w6) & 0x0f0f0f0f; w6 ^= t; w2 ^= t << 4;
        t = ((w3 >>> 4) ^ w7) & 0x0f0f0f0f; w7 ^= t; w3 ^= t << 4;
        t = ((w0 >>> 2) ^ w2) & 0x33333333; w2 ^= t; w0 ^= t << 2;
        t = ((w1 >>> 2) ^ w3) & 0x33333333; w3 ^= t; w1 ^= t << 2;
        t = ((w4 >>> 2) ^ w6) & 0x33333333; w6 ^= t; w4 ^= t << 2;
        t = ((w5 >>> 2) ^ w7) & 0x33333333; w7 ^= t; w5 ^= t << 2;
        t = ((w0 >>> 1) ^ w1) & 0x55555555; w1 ^= t; w0 ^= t << 1;
        t = ((w2 >>> 1) ^ w3) & 0x55555555; w3 ^= t; w2 ^= t << 1;
        t = ((w4 >>> 1) ^ w5) & 0x55555555; w5 ^= t; w4 ^= t << 1;
        t = ((w6 >>> 1) ^ w7) & 0x55555555; w7 ^= t; w6 ^= t << 1;
        fifth[g] = w0;
        fifth[g + R] = w1;
        fifth[g + 2 * R] = w2;
        fifth[g + 3 * R] = w3;
        fifth[g + 4 * R] = w4;
        fifth[g + 5 * R] = w5;
        fifth[g + 6 * R] = w6;
        fifth[g + 7 * R] = w7;
      }
    }
  }
}

/**
 * Q6_K (210 bytes: 128 ql, 64 qh, 16 int8 scales, f16 d): low 4 bits (8 granules), top 2 bits (8 granules of
 * 8 bytes), 4 scale words, d as 2-byte units.
 */
export function packQ6KTile(
  W: Uint32Array,
  stride: number,
  shifted: number,
  r0: number,
  n: number,
  R: number,
  nb: number,
  codes: Uint32Array,
  top: Uint32Array,
  sc: Uint32Array,
  dh: Uint16Array,
): void {
  const R4 = R * 4;
  const R2 = R * 2;
  for (let b = 0; b < nb; b++) {
    let o = wordAt(b * 210, shifted); // the block, 4-aligned in one of the two copies (d: low half of word 52)
    let h = b * R + r0;
    let s = b * 4 * R + r0;
    let g = b * 8 * R + r0; // granule 0's unit of this row
    for (let r = 0; r < n; r++, o += stride, h++, s++, g++) {
      dh[h] = W[o + 52];
      sc[s] = W[o + 48];
      sc[s + R] = W[o + 49];
      sc[s + 2 * R] = W[o + 50];
      sc[s + 3 * R] = W[o + 51];
      // ql bytes 64u + 32v + l: low nibbles are element l of granule 4u + v, high nibbles of granule 4u + v + 2
      for (let c = 0; c < 4; c++) {
        const q = o + 8 * c;
        const dl = (g + (4 * (c >> 1) + (c & 1)) * R) * 4;
        const dhi = dl + 2 * R4;
        for (let t = 0; t < 4; t++) {
          const a = W[q + 2 * t];
          const e = W[q + 2 * t + 1];
          codes[dl + t] = (a & LO) | ((e & LO) << 4);
          codes[dhi + t] = ((a >>> 4) & LO) | (e & HI);
        }
      }
      // top 2 bits of element l of granule 4u + k are bits 2k..2k+1 of qh byte 32u + l; element 16v + 4c + i goes to
      // word v, bits 8i + 2c: per (u, v), in each byte lane, a 4x4 transpose of 2-bit fields of 4 words
      for (let u = 0; u < 2; u++) {
        for (let v = 0; v < 2; v++) {
          const q = o + 32 + 8 * u + 4 * v;
          let q0 = W[q];
          let q1 = W[q + 1];
          let q2 = W[q + 2];
          let q3 = W[q + 3];
          let t: number;
          t = ((q0 >>> 4) ^ q2) & 0x0f0f0f0f; q2 ^= t; q0 ^= t << 4;
          t = ((q1 >>> 4) ^ q3) & 0x0f0f0f0f; q3 ^= t; q1 ^= t << 4;
          t = ((q0 >>> 2) ^ q1) & 0x33333333; q1 ^= t; q0 ^= t << 2;
          t = ((q2 >>> 2) ^ q3) & 0x33333333; q3 ^= t; q2 ^= t << 2;
          const d = (g + 4 * u * R) * 2 + v;
          top[d] = q0;
          top[d + R2] = q1;
          top[d + 2 * R2] = q2;
          top[d + 3 * R2] = q3;
        }
      }
    }
  }
}
