// The packed GPU weight layout decodes, on the CPU, to exactly ggml's dequantization, row by row, for every type.
import { describe, expect, it } from 'vitest';
import { blockSizeOf, KERNEL_WEIGHT_TYPES, randomWeight, typeName } from '../../scripts/fixtures/quant-weights.js';
import { ggufRowBytes, maxRowsPerPart, packedArrayBytes, packWeight, unpackWeightRow, weightLayout } from './weight-layout.js';

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
