// The CPU kernels against their TypeScript references on random inputs with awkward sizes: repacking against the
// gguf dequantizer, the activation quantizer bit-exact, and every product (each layout, int8 and f32 activations,
// relaxed and plain SIMD builds, M = 1 and M > 1, partial row-group ranges) against a float64 product.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../scripts/fixtures/rng.js';
import { dequantize } from '../gguf/dequantize.js';
import { ggmlTypeTraits } from '../gguf/ggml-types.js';
import { quantize } from '../gguf/quantize.js';
import { GgmlType } from '../gguf/types.js';
import { dequantizeActivationsRef, quantizeActivationsRef } from '../reference/quantize-activations.js';
import { decodeRows, layoutFormatOf } from './ggml-codes.js';
import { packDecoded, packGgml, unpackRows } from './layouts.js';
import { CpuKernels, supportsRelaxedSimd, WasmArena, type ActivationMode } from './wasm-kernels.js';

const TYPES = [
  GgmlType.Q4_0,
  GgmlType.Q4_1,
  GgmlType.Q5_0,
  GgmlType.Q5_1,
  GgmlType.Q8_0,
  GgmlType.Q4_K,
  GgmlType.Q5_K,
  GgmlType.Q6_K,
  GgmlType.F16,
  GgmlType.BF16,
  GgmlType.F32,
];

function randomWeights(type: GgmlType, rows: number, cols: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const values = Float32Array.from({ length: rows * cols }, () => rng.normal() * 0.5 + (rng.next() < 0.1 ? 0.3 : 0));
  return quantize(type, values);
}

const colsFor = (type: GgmlType, wanted: number) => {
  const bs = ggmlTypeTraits(type)!.blockSize;
  return Math.max(bs, Math.ceil(wanted / Math.max(bs, 32)) * Math.max(bs, 32));
};

describe('repacking', () => {
  it.each(TYPES.map((t) => [ggmlTypeTraits(t)!.name, t] as const))('%s unpacks to the gguf dequantization', (_, type) => {
    for (const [rows, wanted] of [[13, 96], [4, 32], [9, 512]]) {
      const cols = colsFor(type, wanted);
      const bytes = randomWeights(type, rows, cols, rows * 31 + cols);
      const expected = dequantize(type, bytes, rows * cols);
      const layout = packGgml(type, bytes, rows, cols);
      expect(layout.format).toBe(layoutFormatOf(type));
      const got = unpackRows(layout, 0, rows);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]) / (1e-30 + Math.abs(expected[i]) + 1e-6));
      expect(worst).toBeLessThan(1e-6);
      expect(unpackRows(layout, rows - 1, 1)).toEqual(got.subarray((rows - 1) * cols));
      // The byte-copy fast paths (Q4_0, Q4_1, Q8_0) write exactly what the generic decode-and-pack path writes.
      expect(layout.bytes).toEqual(packDecoded(decodeRows(type, bytes, rows, cols), rows, cols).bytes);
    }
  });
});

const variants: Array<[string, boolean]> = [['plain SIMD', false]];
if (supportsRelaxedSimd()) variants.push(['relaxed SIMD', true]);

describe.each(variants)('kernels, %s', (_, relaxed) => {
  let arena: WasmArena;
  let k: CpuKernels;
  beforeAll(async () => {
    arena = new WasmArena(false);
    k = await CpuKernels.create(arena, { relaxed });
  });

  it('quantize_rows matches the reference bit for bit', () => {
    const rng = createRng(5);
    for (const [M, K] of [[1, 32], [3, 96], [2, 1536]]) {
      const x = Float32Array.from({ length: M * K }, (_, i) => (i % 97 === 0 ? 0 : rng.normal() * (1 + (i % 7))));
      x.fill(0, 0, 32); // an all-zero block: scale 0, codes 0
      x[40] = 0.5 * (127 / 127); // exact halves exercise round-half-even
      const ptr = arena.alloc(4 * M * K);
      arena.f32(ptr, M * K).set(x);
      k.prepare(ptr, M, K, 'int8');
      const got = k.preparedInt8();
      const ref = quantizeActivationsRef(x, K);
      expect(Array.from(got.q)).toEqual(Array.from(ref.q));
      expect(Array.from(got.d)).toEqual(Array.from(ref.d));
      expect(Array.from(got.sum16)).toEqual(Array.from(ref.sum16));
      expect(Array.from(got.sum32)).toEqual(Array.from(ref.sum32));
    }
  });

  const shapes: Array<[number, number, number]> = [
    [1, 4, 32],
    [3, 13, 96],
    [2, 36, 512],
    [5, 8, 1536],
  ];
  const cases = TYPES.flatMap((type) =>
    (['int8', 'f32'] as ActivationMode[]).flatMap((mode) =>
      shapes.map(([M, rows, cols]) => [ggmlTypeTraits(type)!.name, mode, M, rows, colsFor(type, cols), type] as const),
    ),
  );

  // Every code at its maximum (all code bits set) against activations at +-127: the largest partial sums the
  // kernels form (the relaxed builds add i16 pair sums before widening), so an overflow or saturation shows here.
  const extremeTypes = [GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];
  it.each(extremeTypes.map((t) => [ggmlTypeTraits(t)!.name, t] as const))('%s: maximal codes x activations at +-127 (int8)', (_n, type) => {
    const { blockSize, typeSize } = ggmlTypeTraits(type)!;
    const rows = 4;
    const cols = 512;
    const bytes = new Uint8Array((rows * cols * typeSize) / blockSize).fill(255);
    // f16 1.0 in every f16 field (d, and dmin or the Q4_1/Q5_1 min); Q6_K keeps its d last.
    const f16At = type === GgmlType.Q6_K ? [208] : type === GgmlType.Q4_0 ? [0] : [0, 2];
    for (let o = 0; o < bytes.length; o += typeSize) for (const at of f16At) bytes.set([0x00, 0x3c], o + at);
    const layout = packGgml(type, bytes, rows, cols);
    const w = k.upload(layout.format, rows, cols, (dst) => dst.set(layout.bytes));
    const dense = unpackRows(layout, 0, rows);
    for (const sign of [1, -1]) {
      const x = new Float32Array(cols).fill(sign);
      const xp = arena.alloc(4 * cols);
      const yp = arena.alloc(16 * w.groups);
      arena.f32(xp, cols).set(x);
      k.prepare(xp, 1, cols, 'int8');
      expect(Array.from(k.preparedInt8().q.subarray(0, 32))).toEqual(new Array(32).fill(127 * sign));
      k.matvec(w, yp);
      const xr = dequantizeActivationsRef(quantizeActivationsRef(x, cols));
      const y = arena.f32(yp, rows);
      for (let r = 0; r < rows; r++) {
        let exact = 0;
        let mag = 0;
        for (let c = 0; c < cols; c++) {
          exact += dense[r * cols + c] * xr[c];
          mag += Math.abs(dense[r * cols + c] * xr[c]);
        }
        expect(Math.abs(y[r] - exact)).toBeLessThanOrEqual(mag * 2e-6);
      }
    }
  });

  it.each(cases)('%s x %s activations: M %i, %i x %i', (_n, mode, M, rows, cols, type) => {
    const bytes = randomWeights(type, rows, cols, rows + 7 * cols + M);
    const layout = packGgml(type, bytes, rows, cols);
    const w = k.upload(layout.format, rows, cols, (dst) => dst.set(layout.bytes));
    const dense = unpackRows(layout, 0, rows);
    const rng = createRng(M * 1000 + cols);
    const x = Float32Array.from({ length: M * cols }, () => rng.normal() * 2);
    const xp = arena.alloc(4 * M * cols);
    const stride = 4 * w.groups;
    const yp = arena.alloc(4 * M * stride);
    arena.f32(xp, M * cols).set(x);
    k.prepare(xp, M, cols, mode);
    // The products see int8 activations only for quantized layouts; f32 layouts always take f32 activations.
    const useInt = mode === 'int8' && layout.format !== 'f32';
    const xr = useInt ? dequantizeActivationsRef(quantizeActivationsRef(x, cols)) : Float64Array.from(x);
    // Two calls over split group ranges must fill the same output as one full call.
    arena.f32(yp, M * stride).fill(NaN);
    const half = Math.floor(w.groups / 2);
    k.matvec(w, yp, 0, half);
    k.matvec(w, yp, half, w.groups);
    const y = arena.f32(yp, M * stride);
    let worst = 0;
    for (let m = 0; m < M; m++) {
      for (let r = 0; r < rows; r++) {
        let exact = 0;
        let mag = 0;
        for (let c = 0; c < cols; c++) {
          exact += dense[r * cols + c] * xr[m * cols + c];
          mag += Math.abs(dense[r * cols + c] * xr[m * cols + c]);
        }
        // f32 accumulation of `cols` products: a few ulps of the magnitude sum.
        worst = Math.max(worst, Math.abs(y[m * stride + r] - exact) / (mag * 2e-6 + 1e-30));
      }
    }
    expect(worst).toBeLessThan(1);
  });
});
