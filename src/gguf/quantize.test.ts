// Reference quantizers: per-type error bounds on awkward data, requantization stability, random valid blocks.
import { describe, expect, it } from 'vitest';
import { dequantize } from './dequantize.js';
import { GgufError } from './errors.js';
import { SUPPORTED_TYPES } from './ggml-types.js';
import { f16ToF32 } from './half.js';
import { quantize, randomValidBlocks } from './quantize.js';
import { GgmlType } from './types.js';

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const N = 4096; // 16 K-quant super-blocks, 128 small blocks
function dataset(name: string, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    switch (name) {
      case 'weights':
        x[i] = 0.02 * gauss();
        break;
      case 'unit gaussian':
        x[i] = gauss();
        break;
      case 'zeros':
        x[i] = 0;
        break;
      case 'constant positive':
        x[i] = 0.37;
        break;
      case 'constant negative':
        x[i] = -1.5;
        break;
      case 'outliers':
        x[i] = i % 97 === 3 ? (i % 2 ? 8 : -8) : 0.02 * gauss();
        break;
      case 'all negative':
        x[i] = -Math.abs(gauss()) - 0.5;
        break;
      case 'tiny':
        x[i] = 1e-6 * gauss(); // f16 scales become subnormal
        break;
      case 'mixed blocks':
        // each 32-block has its own magnitude, from 1e-4 to 10, some blocks all zero
        x[i] = (i >> 5) % 5 === 0 ? 0 : 10 ** (((i >> 5) % 6) - 4) * gauss();
        break;
    }
  }
  return x;
}
const DATASETS = [
  'weights',
  'unit gaussian',
  'zeros',
  'constant positive',
  'constant negative',
  'outliers',
  'all negative',
  'tiny',
  'mixed blocks',
];

const TYPES = [...SUPPORTED_TYPES.keys()];
const traitsOf = (t: GgmlType): { blockSize: number; typeSize: number } => SUPPORTED_TYPES.get(t)!;
const U = 2 ** -25; // half the smallest f16 subnormal: absolute slack where f16 scales go subnormal

/**
 * Largest allowed |x - dequantize(quantize(x))| per element (the stated bound per type):
 *  F32 0; F16 |x| 2^-11 (+ 2^-25); BF16 |x| 2^-8;
 *  Q8_0 0.57 d with d = amax/127 (rounding 0.5 d, f16 rounding of d over 127 codes 0.062 d);
 *  Q4_0 / Q5_0 |d| (1 + 2^-8) with |d| = amax/8, amax/16: the code of the most negative step is
 *    exact, but a value of opposite sign and equal magnitude clamps to 7 (15) steps: ggml's recipe;
 *  Q4_1 / Q5_1 0.51 step + |min| 2^-10, step = (max - min)/15 (31);
 *  Q4_K / Q5_K 0.5 max(maxScale + d, dmin): maxScale the largest sub-block (max - min(0, lo))/15 (31),
 *    d, dmin the stored super-block scales (d itself <= maxScale/63 rounded up to f16);
 *  Q6_K 0.5 (maxScale + d), maxScale = super-block amax/31.
 * Each plus |x| 2^-22 for the f32 rounding of the result.
 */
function bounds(type: GgmlType, x: Float32Array, bytes: Uint8Array): Float64Array {
  const { blockSize, typeSize } = traitsOf(type);
  const out = new Float64Array(x.length);
  for (let b = 0; b * blockSize < x.length; b++) {
    const lo = b * blockSize;
    const block = x.subarray(lo, lo + blockSize);
    const amax = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const h = (o: number): number => f16ToF32(bytes[b * typeSize + o] | (bytes[b * typeSize + o + 1] << 8));
    let abs = 0; // the block's absolute part of the bound
    switch (type) {
      case GgmlType.F32:
      case GgmlType.F16:
      case GgmlType.BF16:
        break;
      case GgmlType.Q8_0:
        abs = 0.57 * (amax / 127) + 127 * U;
        break;
      case GgmlType.Q4_0:
        abs = (amax / 8) * (1 + 2 ** -8) + 8 * U;
        break;
      case GgmlType.Q5_0:
        abs = (amax / 16) * (1 + 2 ** -8) + 16 * U;
        break;
      case GgmlType.Q4_1:
      case GgmlType.Q5_1: {
        const min = Math.min(...block);
        const step = (Math.max(...block) - min) / (type === GgmlType.Q4_1 ? 15 : 31);
        abs = 0.51 * step + Math.abs(min) * 2 ** -10 + 32 * U;
        break;
      }
      case GgmlType.Q4_K:
      case GgmlType.Q5_K: {
        const qmax = type === GgmlType.Q4_K ? 15 : 31;
        let maxScale = 0;
        for (let j = 0; j < 8; j++) {
          const sub = block.subarray(32 * j, 32 * j + 32);
          maxScale = Math.max(maxScale, (Math.max(...sub) - Math.min(0, ...sub)) / qmax);
        }
        const d = h(0);
        const dmin = h(2);
        expect(d).toBeLessThanOrEqual((maxScale / 63) * (1 + 2 ** -10) + 2 ** -24);
        abs = 0.5 * Math.max(maxScale + d, dmin) * (1 + 2 ** -10);
        break;
      }
      case GgmlType.Q6_K: {
        const maxScale = amax / 31;
        const d = h(208);
        expect(d).toBeLessThanOrEqual((maxScale / 127) * (1 + 2 ** -10) + 2 ** -24);
        abs = 0.5 * (maxScale + d) * (1 + 2 ** -10);
        break;
      }
      default:
        throw new Error('no bound');
    }
    for (let i = lo; i < lo + blockSize; i++) {
      const ax = Math.abs(x[i]);
      if (type === GgmlType.F32) out[i] = 0;
      else if (type === GgmlType.F16) out[i] = ax * 2 ** -11 + U;
      else if (type === GgmlType.BF16) out[i] = ax * 2 ** -8;
      else out[i] = abs + ax * 2 ** -22;
    }
  }
  return out;
}

/** Relative RMS error ceilings on unit-gaussian data (measured values are about 3/4 of these). */
const RMS: Record<string, number> = {
  F32: 0,
  F16: 3e-4,
  BF16: 2.5e-3,
  Q8_0: 0.008,
  Q6_K: 0.025,
  Q5_0: 0.055,
  Q5_1: 0.05,
  Q5_K: 0.05,
  Q4_0: 0.11,
  Q4_1: 0.1,
  Q4_K: 0.1,
};

/**
 * Types whose requantization reproduces the dequantized values exactly on the first pass (compared with
 * ===, so a zero may change sign). Q4_1 / Q5_1 only while their f16 step is normal: a subnormal step
 * (values below ~1e-4) is rounded so coarsely that the top code may go unused.
 */
const STABLE = new Set([
  ...[GgmlType.F32, GgmlType.F16, GgmlType.BF16],
  ...[GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.Q5_1],
]);
const SUBNORMAL_UNSTABLE = new Set([GgmlType.Q4_1, GgmlType.Q5_1]);

const sameValues = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

describe('quantize: error within the stated per-type bound', () => {
  for (const type of TYPES) {
    it(`${GgmlType[type]} on ${DATASETS.length} data sets (weights, zeros, constants, outliers, subnormal scales, ...)`, () => {
      for (const name of DATASETS) {
        const x = dataset(name, type * 31 + name.length);
        const bytes = quantize(type, x);
        expect(bytes.length).toBe((N / traitsOf(type).blockSize) * traitsOf(type).typeSize);
        const y = dequantize(type, bytes, N);
        const bound = bounds(type, x, bytes);
        let worst = 0;
        let worstAt = -1;
        for (let i = 0; i < N; i++) {
          const over = Math.abs(x[i] - y[i]) - bound[i];
          if (!(over <= worst)) {
            worst = over;
            worstAt = i;
          }
        }
        expect(worstAt, `${name}: element ${worstAt} x=${x[worstAt]} y=${y[worstAt]}`).toBe(-1);
        if (name === 'zeros') expect(y.every((v) => v === 0)).toBe(true);
      }
    });
  }

  it('relative RMS error on unit-gaussian data stays under the per-type ceiling', () => {
    const x = dataset('unit gaussian', 5);
    const sx = x.reduce((s, v) => s + v * v, 0);
    const got: Record<string, number> = {};
    for (const type of TYPES) {
      const y = dequantize(type, quantize(type, x), N);
      got[GgmlType[type]] = Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / sx);
    }
    for (const [name, rms] of Object.entries(got)) expect(rms, name).toBeLessThanOrEqual(RMS[name]);
  });

  it('Q4_0 follows ggml: d = (value of largest magnitude) / -8, codes floor(x/d + 8.5)', () => {
    const x = new Float32Array(32).map((_, j) => (j % 16) - 8); // -8..7 twice
    const bytes = quantize(GgmlType.Q4_0, x);
    // d = -8 / -8 = 1 (f16 0x3c00); element j (and j+16) -> code j
    expect([...bytes]).toEqual([0x00, 0x3c, ...Array.from({ length: 16 }, (_, j) => j | (j << 4))]);
  });
});

describe('quantize: requantization stability', () => {
  for (const type of TYPES) {
    const claim = STABLE.has(type)
      ? 'reproduces every value'
      : 'moves values by at most the bound per pass and settles within 4 passes';
    it(`${GgmlType[type]}: quantize(dequantize(q)) ${claim}`, () => {
      for (const name of DATASETS) {
        if (name === 'tiny' && SUBNORMAL_UNSTABLE.has(type)) continue;
        const x = dataset(name, 1000 + type);
        let y = dequantize(type, quantize(type, x), N);
        if (STABLE.has(type)) {
          expect(sameValues(y, dequantize(type, quantize(type, y), N)), name).toBe(true);
          continue;
        }
        // K-quants: the min/max refit of already-quantized data can pick slightly different scales.
        let settled = false;
        for (let pass = 0; pass < 4 && !settled; pass++) {
          const b = quantize(type, y);
          const next = dequantize(type, b, N);
          const bound = bounds(type, y, b);
          for (let i = 0; i < N; i++) {
            if (!(Math.abs(next[i] - y[i]) <= bound[i])) expect.fail(`${name}: element ${i} moved from ${y[i]} to ${next[i]}`);
          }
          settled = sameValues(y, next);
          y = next;
        }
        expect(settled, `${name}: still changing after 4 requantizations`).toBe(true);
      }
    });
  }
});

describe('quantize: input checks', () => {
  it('rejects a partial block and unsupported types', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof GgufError ? e.code : String(e);
      }
      return undefined;
    };
    expect(codeOf(() => quantize(GgmlType.Q4_K, new Float32Array(255)))).toBe('BAD_TENSOR_SHAPE');
    expect(codeOf(() => quantize(GgmlType.Q8_0, new Float32Array(33)))).toBe('BAD_TENSOR_SHAPE');
    expect(codeOf(() => quantize(GgmlType.Q2_K, new Float32Array(256), 'blk.0.attn_q.weight'))).toBe('UNSUPPORTED_TENSOR_TYPE');
    expect(codeOf(() => randomValidBlocks(GgmlType.IQ4_XS, 1, Math.random))).toBe('UNSUPPORTED_TENSOR_TYPE');
  });

  it('accepts a Float32Array view at an offset', () => {
    const backing = new Float32Array(64 + 3).map((_, i) => i / 10);
    const view = backing.subarray(3);
    expect([...quantize(GgmlType.F32, view)]).toEqual([...new Uint8Array(new Float32Array(view).buffer)]);
    expect([...quantize(GgmlType.Q8_0, view)]).toEqual([...quantize(GgmlType.Q8_0, new Float32Array(view))]);
  });
});

describe('randomValidBlocks', () => {
  for (const type of TYPES) {
    it(`${GgmlType[type]}: right size, deterministic per seed, finite weight-sized values`, () => {
      const { blockSize, typeSize } = traitsOf(type);
      const blocks = 64;
      const a = randomValidBlocks(type, blocks, mulberry32(9));
      expect(a.length).toBe(blocks * typeSize);
      expect([...randomValidBlocks(type, blocks, mulberry32(9))]).toEqual([...a]);
      const y = dequantize(type, a, blocks * blockSize);
      expect(y.every((v) => Number.isFinite(v) && Math.abs(v) <= 64)).toBe(true);
      expect(y.some((v) => v !== 0)).toBe(true);
    });
  }
});
