// The packed GPU weight layout decodes, on the CPU, to exactly ggml's dequantization, row by row, for every type.
import { describe, expect, it } from 'vitest';
import { blockSizeOf, KERNEL_WEIGHT_TYPES, randomWeight, typeName } from '../../scripts/fixtures/quant-weights.js';
import { createRng } from '../../scripts/fixtures/rng.js';
import { randomValidBlocks } from '../gguf/quantize.js';
import {
  ggufRowBytes,
  maxRowsPerPart,
  NonFiniteWeightError,
  packedArrayBytes,
  packWeight,
  packWeightInto,
  unpackWeightRow,
  weightLayout,
  WeightType,
} from './weight-layout.js';

/**
 * The packed layout written element by element, straight from its description at the top of weight-layout.ts
 * (slow; the reference for packWeight's word-level tile loops). Returns the bytes of each packed array.
 */
function referencePack(type: number, rows: number, cols: number, src: Uint8Array): Uint8Array[] {
  const layout = weightLayout(type);
  const out = packedArrayBytes(type, rows, cols).map((n) => new Uint8Array(n));
  const R = rows;
  const rowBytes = ggufRowBytes(type, cols);
  const nb = Math.ceil(cols / layout.blockElems);
  // byte offset of unit (block b, plane p, row r) of array a
  const unit = (a: number, b: number, p: number, r: number) => ((b * layout.arrays[a].planes + p) * R + r) * layout.arrays[a].unit;
  const copy = (a: number, dst: number, from: number, n: number) => {
    for (let i = 0; i < n; i++) out[a][dst + i] = src[from + i];
  };
  // 4-bit code of element e (= 8t + 4h + i) of a granule: bits 8i + 4h of word t
  const setCode = (a: number, o: number, e: number, code: number) => {
    const t = e >> 3;
    const h = (e >> 2) & 1;
    const i = e & 3;
    out[a][o + 4 * t + i] |= (code & 15) << (4 * h);
  };
  // where the extra high bits of element e = 8t + 4h + i go, in a word shifted by s (weight-layout.ts header):
  // lo elements at 8i + 4 + s, hi elements i < 3 at 8i + 8 + s, hi element 3 at s
  const extraPos = (e: number, s: number) => {
    const h = (e >> 2) & 1;
    const i = e & 3;
    return (h === 0 ? 8 * i + 4 : i < 3 ? 8 * i + 8 : 0) + s;
  };
  // the 5th bit of element e: s = t
  const setFifth = (a: number, o: number, e: number, bit: number) => {
    const pos = extraPos(e, e >> 3);
    out[a][o + (pos >> 3)] |= bit << (pos & 7);
  };
  for (let r = 0; r < rows; r++) {
    const row = r * rowBytes;
    for (let b = 0; b < nb; b++) {
      switch (type) {
        case WeightType.F32:
        case WeightType.F16:
        case WeightType.BF16: {
          const es = type === WeightType.F32 ? 4 : 2;
          const perPlane = 16 / es;
          for (let e = 0; e < 32 && 32 * b + e < cols; e++) {
            copy(0, unit(0, b, Math.floor(e / perPlane), r) + es * (e % perPlane), row + (32 * b + e) * es, es);
          }
          break;
        }
        case WeightType.Q8_0: {
          const s = row + 34 * b;
          copy(1, unit(1, b, 0, r), s, 2);
          for (let e = 0; e < 32; e++) copy(0, unit(0, b, e >> 4, r) + (e & 15), s + 2 + e, 1);
          break;
        }
        case WeightType.Q4_0:
        case WeightType.Q4_1:
        case WeightType.Q5_0:
        case WeightType.Q5_1: {
          const hasMin = type === WeightType.Q4_1 || type === WeightType.Q5_1;
          const five = type === WeightType.Q5_0 || type === WeightType.Q5_1;
          const s = row + b * layout.ggmlBlockBytes;
          const head = hasMin ? 4 : 2;
          const qs = s + head + (five ? 4 : 0);
          const scaleArray = five ? 2 : 1;
          copy(scaleArray, unit(scaleArray, b, 0, r), s, head);
          for (let e = 0; e < 32; e++) {
            setCode(0, unit(0, b, 0, r), e, e < 16 ? src[qs + e] : src[qs + e - 16] >> 4);
            if (five) setFifth(1, unit(1, b, 0, r), e, (src[s + head + (e >> 3)] >> (e & 7)) & 1);
          }
          break;
        }
        case WeightType.Q4_K:
        case WeightType.Q5_K: {
          const five = type === WeightType.Q5_K;
          const s = row + b * layout.ggmlBlockBytes;
          const dmA = five ? 2 : 1;
          const scA = five ? 3 : 2;
          copy(dmA, unit(dmA, b, 0, r), s, 4);
          const q = (k: number) => src[s + 4 + k];
          for (let j = 0; j < 8; j++) {
            // ggml's get_scale_min_k4
            const sc = j < 4 ? q(j) & 63 : (q(j + 4) & 0xf) | ((q(j - 4) >> 6) << 4);
            const mn = j < 4 ? q(j + 4) & 63 : (q(j + 4) >> 4) | ((q(j) >> 6) << 4);
            out[scA][unit(scA, b, j >> 2, r) + (j & 3)] = (sc & 15) | ((mn & 15) << 4);
            out[scA][unit(scA, b, 2, r) + (j >> 1)] |= ((sc >> 4) | ((mn >> 4) << 2)) << (4 * (j & 1));
            const qs = s + (five ? 48 : 16) + 32 * (j >> 1);
            for (let e = 0; e < 32; e++) {
              setCode(0, unit(0, b, j, r), e, (j & 1) === 0 ? src[qs + e] : src[qs + e] >> 4);
              if (five) setFifth(1, unit(1, b, j, r), e, (src[s + 16 + e] >> j) & 1);
            }
          }
          break;
        }
        case WeightType.Q6_K: {
          const s = row + 210 * b;
          for (let l = 0; l < 256; l++) {
            const n = l >> 7; // half
            const g = (l >> 5) & 3; // group in the half
            const idx = l & 31;
            const lo = (src[s + 64 * n + 32 * (g & 1) + idx] >> (g >= 2 ? 4 : 0)) & 15;
            const hi = (src[s + 128 + 32 * n + idx] >> (2 * g)) & 3;
            const j = l >> 5;
            setCode(0, unit(0, b, j, r), idx, lo);
            // top 2 bits of element e: word t >> 1, s = 2(t & 1)
            const t = idx >> 3;
            const pos = extraPos(idx, 2 * (t & 1));
            out[1][unit(1, b, j, r) + 4 * (t >> 1) + (pos >> 3)] |= hi << (pos & 7);
          }
          for (let q = 0; q < 4; q++) copy(2, unit(2, b, q, r), s + 192 + 4 * q, 4);
          copy(3, unit(3, b, 0, r), s + 208, 2);
          break;
        }
      }
    }
  }
  return out;
}

function expectSameBytes(got: readonly Uint32Array[], want: readonly Uint8Array[], what: string) {
  expect(got.length).toBe(want.length);
  for (let a = 0; a < want.length; a++) {
    const g = new Uint8Array(got[a].buffer, got[a].byteOffset, want[a].length);
    for (let i = 0; i < want[a].length; i++) {
      if (g[i] !== want[a][i]) throw new Error(`${what}: array ${a} byte ${i}: ${g[i]} vs ${want[a][i]}`);
    }
  }
}

function expectRowsExact(type: number, rows: number, cols: number, seed: number, source: 'quantize' | 'blocks') {
  const w = randomWeight(type, rows, cols, seed, source);
  const packed = packWeight(type, rows, cols, w.bytes);
  expect(packed.arrays.length).toBe(weightLayout(type).arrays.length);
  for (const a of packed.arrays) expect(a.byteLength % 16).toBe(0);
  for (let r = 0; r < rows; r++) {
    const got = unpackWeightRow(packed, r);
    const want = w.values.subarray(r * cols, (r + 1) * cols);
    expect(got.length).toBe(cols);
    // exact: equal values (a zero may change sign: the decoders compute d * q - 8 * d where ggml has d * (q - 8))
    for (let k = 0; k < cols; k++) {
      if (got[k] !== want[k] && !(Number.isNaN(got[k]) && Number.isNaN(want[k]))) throw new Error(`${typeName(type)} [${rows}x${cols}] row ${r} col ${k}: ${got[k]} vs ${want[k]}`);
    }
  }
}

describe('weight-layout', () => {
  for (const type of KERNEL_WEIGHT_TYPES) {
    const bs = blockSizeOf(type);
    const name = typeName(type);
    // awkward shapes: single row/column, rows not a multiple of anything, K not a multiple of 32 for float types
    const shapes: [number, number][] =
      bs === 1
        ? [[1, 1], [3, 7], [5, 33], [37, 100], [2, 64], [4, 1536]]
        : [[1, bs], [3, bs * 3], [37, bs * 7], [2, 1536]];
    it.each(shapes)(`${name} rows %i cols %i unpacks exactly (quantized and random blocks)`, (rows, cols) => {
      expectRowsExact(type, rows, cols, rows * 7919 + cols, 'quantize');
      expectRowsExact(type, rows, cols, rows * 104729 + cols, 'blocks');
    });
  }

  for (const type of KERNEL_WEIGHT_TYPES) {
    const bs = blockSizeOf(type);
    const name = typeName(type);
    const colsList = bs === 1 ? [1, 3, 7, 31, 32, 33, 100, 1536] : [bs, 3 * bs, 7 * bs, 1536];
    it(`${name} packs byte for byte like the per-element reference (rows 1-300, unaligned sources, reused arrays)`, () => {
      const rng = createRng(type * 7 + 1);
      for (const rows of [1, 2, 3, 37, 300]) {
        for (const cols of colsList) {
          if (cols % bs !== 0) continue;
          const blocks = randomValidBlocks(type, (rows * cols) / bs, rng.next);
          const want = referencePack(type, rows, cols, blocks);
          for (const offset of [0, 1, 2, 3]) {
            const buf = new Uint8Array(blocks.length + 8).fill(0xa5);
            buf.set(blocks, offset);
            const bytes = buf.subarray(offset, offset + blocks.length);
            const what = `${name} [${rows}x${cols}] offset ${offset}`;
            expectSameBytes(packWeight(type, rows, cols, bytes).arrays, want, what);
            // into larger arrays full of garbage: every byte of the packed size is written, nothing beyond it
            const into = packedArrayBytes(type, rows, cols).map((n) => new Uint32Array(n / 4 + 3).fill(0xdeadbeef));
            packWeightInto(type, rows, cols, bytes, into);
            expectSameBytes(into, want, `${what} (into)`);
            for (const a of into) expect(Array.from(a.subarray(a.length - 3))).toEqual([0xdeadbeef, 0xdeadbeef, 0xdeadbeef]);
          }
        }
      }
    });
  }

  it('packWeightInto rejects missing or short arrays', () => {
    const bytes = new Uint8Array(36);
    expect(() => packWeightInto(WeightType.Q4_0, 2, 32, bytes, [new Uint32Array(8)])).toThrow(/needs 2 arrays/);
    expect(() => packWeightInto(WeightType.Q4_0, 2, 32, bytes, [new Uint32Array(8), new Uint32Array(3)])).toThrow(/needs 2 arrays/);
  });

  it('adds no bytes beyond 16-byte padding per array (and float rows padded to 32)', () => {
    const rows = 2048;
    const cols = 1536;
    const table: string[] = [];
    for (const type of KERNEL_WEIGHT_TYPES) {
      const gguf = rows * ggufRowBytes(type, cols);
      const packed = packedArrayBytes(type, rows, cols).reduce((a, b) => a + b, 0);
      expect(packed).toBe(gguf); // exact when K % 32 == 0 and rows even
      table.push(`${typeName(type)} ${gguf} -> ${packed}`);
      // awkward: odd rows, tiny K
      const oddGguf = 37 * ggufRowBytes(type, blockSizeOf(type) === 1 ? 33 : blockSizeOf(type));
      const oddPacked = packedArrayBytes(type, 37, blockSizeOf(type) === 1 ? 33 : blockSizeOf(type)).reduce((a, b) => a + b, 0);
      expect(oddPacked - oddGguf).toBeLessThanOrEqual(blockSizeOf(type) === 1 ? 37 * 31 * 4 + 16 : 16 * weightLayout(type).arrays.length);
    }
  });

  it('splits rows so every array fits the binding limit', () => {
    for (const type of KERNEL_WEIGHT_TYPES) {
      for (const limit of [256, 4096, 65536]) {
        const cols = blockSizeOf(type) === 1 ? 40 : blockSizeOf(type);
        let n: number;
        try {
          n = maxRowsPerPart(type, cols, limit);
        } catch {
          continue; // one row larger than the limit
        }
        expect(packedArrayBytes(type, n, cols).every((s) => s <= limit)).toBe(true);
        expect(packedArrayBytes(type, n + 2, cols).some((s) => s > limit)).toBe(true);
      }
    }
  });

  it('rejects wrong byte counts and unsupported types', () => {
    expect(() => packWeight(2, 2, 32, new Uint8Array(35))).toThrow(/needs 36 bytes/);
    expect(() => packWeight(10, 1, 256, new Uint8Array(84))).toThrow(/cannot read/);
    expect(() => packWeight(2, 1, 33, new Uint8Array(18))).toThrow(/invalid shape/);
  });
});

describe('non-finite weights are refused while repacking, naming the tensor', () => {
  // Where a float sits in one ggml block (byte offset) and how it is written: f16 scales of the quantized types
  // (the last one of the block's floats), float values of the float types.
  const scaleAt: Record<number, number> = {
    [WeightType.Q8_0]: 0,
    [WeightType.Q4_0]: 0,
    [WeightType.Q4_1]: 2, // m
    [WeightType.Q5_0]: 0,
    [WeightType.Q5_1]: 2, // m
    [WeightType.Q4_K]: 2, // dmin
    [WeightType.Q5_K]: 0, // d
    [WeightType.Q6_K]: 208, // d
  };
  for (const type of KERNEL_WEIGHT_TYPES) {
    for (const bad of ['NaN', 'Inf'] as const) {
      it(`${typeName(type)}: a ${bad} at row 3, block 2 -> NonFiniteWeightError`, () => {
        const block = blockSizeOf(type);
        const cols = block === 1 ? 96 : 3 * block;
        const rows = 5;
        const w = randomWeight(type, rows, cols, 7 + type);
        const bytes = w.bytes.slice();
        expect(() => packWeight(type, rows, cols, bytes, 'blk.0.ffn_down.weight')).not.toThrow(); // the clean weight packs
        const rowBytes = ggufRowBytes(type, cols);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        if (block === 1) {
          const e = 2 * 32 + 5; // element of block 2
          if (type === WeightType.F32) view.setFloat32(3 * rowBytes + 4 * e, bad === 'NaN' ? NaN : -Infinity, true);
          else view.setUint16(3 * rowBytes + 2 * e, type === WeightType.F16 ? (bad === 'NaN' ? 0x7e00 : 0xfc00) : bad === 'NaN' ? 0x7fc1 : 0x7f80, true);
        } else {
          const blockBytes = rowBytes / (cols / block);
          view.setUint16(3 * rowBytes + 2 * blockBytes + scaleAt[type], bad === 'NaN' ? 0x7e00 : 0x7c00, true);
        }
        let error: unknown;
        try {
          packWeight(type, rows, cols, bytes, 'blk.0.ffn_down.weight');
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(NonFiniteWeightError);
        const e = error as NonFiniteWeightError;
        expect(e.code).toBe('NON_FINITE_WEIGHT');
        expect([e.tensor, e.row, e.block]).toEqual(['blk.0.ffn_down.weight', 3, 2]);
        expect(e.message).toMatch(/Tensor "blk\.0\.ffn_down\.weight" holds a NaN or infinite .* \(row 3, block 2\)/);
      });
    }
  }
});
