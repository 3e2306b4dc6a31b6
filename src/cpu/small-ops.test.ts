// The small per-row wasm ops against the plain TypeScript references (src/reference/math.ts, attention.ts) on
// random inputs with awkward sizes, each held to an error bound derived from its f32 arithmetic (u = 2^-24, the
// unit roundoff) and the measured bounds of the exp / tanh polynomials. Runs in Node (project cpu) and Chromium
// (kernels.gpu.test.ts imports this file).
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../scripts/fixtures/rng.js';
import { ropeInverseFrequencies } from '../model/config.js';
import { attendOne } from '../reference/attention.js';
import { gegluRows } from '../reference/geglu.js';
import { gelu, rmsNorm, ropeInPlace, softcapInPlace } from '../reference/math.js';
import { CpuKernels, supportsRelaxedSimd, WasmArena } from './wasm-kernels.js';
import { fillRopeTables, WasmSmallOps } from './wasm-small-ops.js';
import { EXP_REL_ERROR, TANH_REL_ERROR } from './wat/small-ops-wat.js';

const U = 2 ** -24;

const variants: Array<[string, boolean]> = [['plain SIMD', false]];
if (supportsRelaxedSimd()) variants.push(['relaxed SIMD', true]);

describe.each(variants)('small ops, %s build', (_, relaxed) => {
  let arena: WasmArena;
  let ops: WasmSmallOps;
  beforeAll(async () => {
    arena = new WasmArena(false);
    ops = new WasmSmallOps(await CpuKernels.create(arena, { relaxed }));
  });
  const put = (values: ArrayLike<number>) => {
    const p = arena.alloc(4 * Math.max(values.length, 4));
    arena.f32(p, values.length).set(values);
    return p;
  };
  const read = (p: number, n: number) => Float32Array.from(arena.f32(p, n));
  const randoms = (n: number, seed: number, scale = 1) => {
    const rng = createRng(seed);
    return Float32Array.from({ length: n }, () => rng.normal() * scale);
  };

  it('exp: relative error within EXP_REL_ERROR over [-87, 88]', () => {
    const xs = Float32Array.from({ length: 200_003 }, (_, i) => -87 + (175 * i) / 200_002);
    const p = put(xs);
    ops.probe('exp', p, xs.length);
    const got = read(p, xs.length);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(got[i] / Math.exp(xs[i]) - 1));
    console.log(`exp: worst relative error ${worst.toExponential(2)} (bound ${EXP_REL_ERROR})`);
    expect(worst).toBeLessThan(EXP_REL_ERROR);
  });

  it('tanh: relative error within TANH_REL_ERROR for every size of argument; NaN stays NaN', () => {
    const grid = Array.from({ length: 100_001 }, (_, i) => -12 + (24 * i) / 100_000);
    const tiny = [1e-30, -1e-20, 1e-8, -3e-5, 0.01, 0.624, 0.625, 0.626, 1e3, -1e30, 0];
    const xs = Float32Array.from([...grid, ...tiny, NaN]);
    const p = put(xs);
    ops.probe('tanh', p, xs.length);
    const got = read(p, xs.length);
    let worst = 0;
    for (let i = 0; i < xs.length - 1; i++) {
      const t = Math.tanh(xs[i]);
      worst = Math.max(worst, t === 0 ? Math.abs(got[i]) : Math.abs(got[i] - t) / Math.abs(t));
    }
    console.log(`tanh: worst relative error ${worst.toExponential(2)} (bound ${TANH_REL_ERROR})`);
    expect(worst).toBeLessThan(TANH_REL_ERROR);
    expect(got[xs.length - 1]).toBeNaN();
  });

  // gelu(x) = x / (1 + E), E = exp(t), t = -2 sqrt(2/pi) (x + 0.044715 x^3) formed in f32 (3 roundings: 3u|t|
  // absolute in t, so E gains relative error 3u|t|), then 1 + E and the division (2u). The error of 1 + E is
  // E/(1+E) times E's, which bounds the relative error of gelu. The f64 reference itself forms 1 + tanh v, which
  // cancels for large negative x: its own error, |x| 2^-53 absolute, joins the bound.
  const geluBound = (x: number) => {
    const t = -2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
    const E = Math.exp(Math.min(t, 88));
    const share = Number.isFinite(E) ? E / (1 + E) : 1;
    return Math.abs(gelu(x)) * (share * (EXP_REL_ERROR + 3 * U * Math.abs(t)) + 3 * U) + Math.abs(x) * 2 ** -53 + 1e-37;
  };

  it('gelu: within the bound derived from the exp polynomial', () => {
    const xs = Float32Array.from({ length: 50_001 }, (_, i) => -12 + (24 * i) / 50_000);
    const p = put(xs);
    ops.probe('gelu', p, xs.length);
    const got = read(p, xs.length);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(got[i] - gelu(xs[i])) / geluBound(xs[i]));
    console.log(`gelu: worst error / derived bound ${worst.toFixed(3)}`);
    expect(worst).toBeLessThan(1);
  });

  it.each([
    [1, 1, true],
    [3, 5, false],
    [2, 37, true],
    [4, 256, true],
    [8, 32, false],
    [1, 1536, true],
    [3, 1539, false],
  ])('rms_norm_rows: %i rows of %i (weight %s), also in place', (rows, n, weighted) => {
    const x = randoms(rows * n, rows * 100 + n, 3);
    const w = weighted ? randoms(n, n + 1) : undefined;
    const wp = w ? put(w) : 0;
    const src = put(x);
    const dst = arena.alloc(4 * rows * n);
    ops.rmsNormRows(dst, src, rows, n, wp, 1e-6);
    ops.rmsNormRows(src, src, rows, n, wp, 1e-6);
    const got = read(dst, rows * n);
    expect(read(src, rows * n)).toEqual(got);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const ref = rmsNorm(x.subarray(r * n, (r + 1) * n), w, 1e-6);
      // 1 / rms rounded to f32, then one or two f32 products: 3 roundings of the result.
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[r * n + i] - ref[i]) / (3 * U * Math.abs(ref[i]) + 1e-37));
    }
    expect(worst).toBeLessThan(1);
  });

  it.each([
    [1, 4, 1],
    [3, 7, 0.5],
    [2, 1536, 1],
    [5, 256, 0.125],
  ])('add_rms_norm_rows: %i rows of %i, layer scale %f', (rows, n, s) => {
    const x = randoms(rows * n, n, 2);
    const y = randoms(rows * n, n + 3, 5);
    const w = randoms(n, n + 7);
    const xp = put(x);
    ops.addRmsNormRows(xp, put(y), rows, n, put(w), 1e-6, s);
    const got = read(xp, rows * n);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const t = rmsNorm(y.subarray(r * n, (r + 1) * n), w, 1e-6);
      for (let i = 0; i < n; i++) {
        const a = x[r * n + i];
        const ref = (a + t[i]) * s;
        // t carries 3 roundings, the add and the scale one each.
        worst = Math.max(worst, Math.abs(got[r * n + i] - ref) / (5 * U * (Math.abs(a) + Math.abs(t[i])) * s + 1e-37));
      }
    }
    expect(worst).toBeLessThan(1);
  });

  it.each([
    [1, 1, 8, 0, 10000, 8],
    [3, 8, 256, 17, 10000, 256],
    [2, 2, 512, 4000, 1e6, 128],
    [5, 3, 64, 1, 10000, 64],
  ])('rope_rows: %i rows x %i heads of %i from position %i (base %d, rotary dim %i)', (rows, heads, hd, pos0, base, ropeDim) => {
    const invFreq = ropeInverseFrequencies(hd, ropeDim, base, undefined);
    expect(invFreq.length).toBe(hd / 2);
    const x = randoms(rows * heads * hd, hd + pos0, 2);
    const half = hd / 2;
    const cos = arena.alloc(4 * rows * half);
    const sin = arena.alloc(4 * rows * half);
    fillRopeTables(arena.f32(cos, rows * half), arena.f32(sin, rows * half), pos0, rows, invFreq);
    const xp = put(x);
    ops.ropeRows(xp, rows, heads, hd, cos, sin);
    const got = read(xp, x.length);
    const w = heads * hd;
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const ref = Float64Array.from(x.subarray(r * w, (r + 1) * w));
      ropeInPlace(ref, hd, pos0 + r, invFreq);
      for (let h = 0; h < heads; h++) {
        for (let j = 0; j < hd; j++) {
          const i = r * w + h * hd + j;
          const a = x[r * w + h * hd + (j % half)];
          const b = x[r * w + h * hd + (j % half) + half];
          // cos and sin rounded to f32, two products and a sum: 3 roundings of |a| + |b|.
          worst = Math.max(worst, Math.abs(got[i] - ref[h * hd + j]) / (3 * U * (Math.abs(a) + Math.abs(b)) + 1e-37));
        }
      }
    }
    expect(worst).toBeLessThan(1);
  });

  it.each([
    // rows, pos0, heads, kvHeads, headDim, window, capacity
    [1, 0, 1, 1, 8, undefined, 4],
    [1, 37, 8, 1, 256, undefined, 64],
    [1, 37, 8, 1, 256, 16, 64],
    [5, 3, 6, 2, 32, undefined, 16],
    [7, 10, 4, 4, 64, 5, 20],
    [3, 0, 2, 1, 512, 2, 8],
    [4, 60, 8, 2, 128, 512, 64],
  ])('attention: %i rows from position %i, %i heads / %i KV heads of %i, window %s', (rows, pos0, heads, kvHeads, hd, window, capacity) => {
    const width = kvHeads * hd;
    const keys = randoms(capacity * width, hd + rows, 1);
    const values = randoms(capacity * width, hd + rows + 1, 1);
    const q = randoms(rows * heads * hd, hd + rows + 2, 0.25);
    const out = arena.alloc(4 * rows * heads * hd);
    const scoreStride = capacity + 3;
    const scores = arena.alloc(4 * heads * scoreStride);
    const pb = arena.alloc(64);
    const args = { out, q: put(q), rows, pos0, keys: put(keys), values: put(values), width, heads, kvHeads, headDim: hd, window, scores, scoreStride };
    ops.writeAttendParams(pb, args);
    // Two head ranges, as threads split them.
    const split = Math.floor(heads / 2);
    ops.attendHeads(pb, 0, split);
    ops.attendHeads(pb, split, heads);
    const got = read(out, rows * heads * hd);
    const kv = {
      keys: Array.from({ length: capacity }, (_, p) => keys.subarray(p * width, (p + 1) * width)),
      values: Array.from({ length: capacity }, (_, p) => values.subarray(p * width, (p + 1) * width)),
    };
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const pos = pos0 + r;
      const qr = q.subarray(r * heads * hd, (r + 1) * heads * hd);
      const ref = attendOne(qr, pos, kv, heads, kvHeads, hd, window);
      const first = window === undefined ? 0 : Math.max(0, pos - window + 1);
      const cnt = pos - first + 1;
      for (let h = 0; h < heads; h++) {
        const ko = Math.floor(h / (heads / kvHeads)) * hd;
        // Score errors: f32 dot products in 8 lanes of hd / 8 terms plus the lane sums, relative to sum |q k|.
        let worstDot = 0;
        const s: number[] = [];
        for (let j = first; j <= pos; j++) {
          let dot = 0;
          let mag = 0;
          for (let d = 0; d < hd; d++) {
            dot += qr[h * hd + d] * keys[j * width + ko + d];
            mag += Math.abs(qr[h * hd + d] * keys[j * width + ko + d]);
          }
          s.push(dot);
          worstDot = Math.max(worstDot, mag);
        }
        const ds = (hd / 8 + 4) * U * worstDot;
        // A weight's relative error: 2 ds from its own and the max's score, the exp polynomial (twice: numerator
        // and each denominator term), the f32 sum of cnt terms and the reciprocal.
        const eps = 2 * ds + 2 * EXP_REL_ERROR + (cnt + 3) * U;
        const mx = Math.max(...s);
        const e = s.map((v) => Math.exp(v - mx));
        const den = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < hd; d++) {
          let absSum = 0;
          for (let j = 0; j < cnt; j++) absSum += (e[j] / den) * Math.abs(values[(first + j) * width + ko + d]);
          // Plus the f32 accumulation of cnt products and the final scaling.
          const bound = (eps + (cnt + 2) * U) * absSum + 1e-30;
          const i = r * heads * hd + h * hd + d;
          worst = Math.max(worst, Math.abs(got[i] - ref[h * hd + d]) / bound);
        }
      }
    }
    expect(worst).toBeLessThan(1);
  });

  it.each([
    [1, 5, 5],
    [3, 37, 37],
    [4, 256, 35 * 256],
    [2, 6144, 6144],
  ])('geglu_rows: %i rows of %i (up row stride %i)', (rows, n, uStride) => {
    const g = randoms(rows * n, n, 3);
    const u = randoms(rows * uStride, n + 1, 2);
    const gp = put(g);
    const off = uStride > n ? 3 * 256 : 0;
    ops.gegluRows(gp, put(u) + 4 * off, rows, n, uStride);
    const got = read(gp, rows * n);
    const ref = gegluRows(g, u, rows, n, uStride, off);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < n; k++) {
        const i = r * n + k;
        const uk = Math.abs(u[r * uStride + off + k]);
        worst = Math.max(worst, Math.abs(got[i] - ref[i]) / (geluBound(g[i]) * uk + U * Math.abs(ref[i]) + 1e-37));
      }
    }
    expect(worst).toBeLessThan(1);
  });

  it.each([
    [30, 1003],
    [30, 262147],
    [15, 7],
  ])('softcap: cap %i over %i logits, NaN and infinities kept', (cap, n) => {
    const z = randoms(n, n, 12);
    z[0] = Infinity;
    z[1] = -Infinity;
    z[2] = NaN;
    z[3] = 0;
    z[4] = 1e-30;
    if (n > 10) z[9] = 1e5;
    const zp = put(z);
    ops.softcap(zp, n, cap);
    const got = read(zp, n);
    const ref = Float64Array.from(z);
    softcapInPlace(ref, cap);
    expect(got[0]).toBe(Infinity);
    expect(got[1]).toBe(-Infinity);
    expect(got[2]).toBeNaN();
    let worst = 0;
    for (let i = 3; i < n; i++) {
      const t = Math.tanh(z[i] / cap);
      // z / cap rounded (u relative, so (1 - t^2) |z / cap| u absolute in tanh), the polynomial, the product.
      const bound = cap * (Math.abs(t) * TANH_REL_ERROR + (1 - t * t) * Math.abs(z[i] / cap) * U) + U * Math.abs(ref[i]) + 1e-37;
      worst = Math.max(worst, Math.abs(got[i] - ref[i]) / bound);
    }
    expect(worst).toBeLessThan(1);
    const before = Float32Array.from(got);
    ops.softcap(zp, n, 0);
    expect(read(zp, n)).toEqual(before);
  });

  it('scale: one f32 product per value', () => {
    const x = randoms(1539, 9, 4);
    const xp = put(x);
    ops.scale(xp, x.length, 39.191835884530846);
    const s = Math.fround(39.191835884530846);
    expect(read(xp, x.length)).toEqual(x.map((v) => Math.fround(v * s)));
  });

  it('bad head sizes give a RangeError saying what is needed', () => {
    expect(() => ops.ropeRows(64, 1, 1, 12, 64, 64)).toThrow(/multiple of 8/);
    const args = { out: 64, q: 64, rows: 1, pos0: 0, keys: 64, values: 64, width: 16, heads: 3, kvHeads: 2, headDim: 8, window: undefined, scores: 64, scoreStride: 1 };
    expect(() => ops.writeAttendParams(64, args)).toThrow(/do not split/);
  });
});
