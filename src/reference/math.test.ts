// Hand-checked values for the reference primitives (spec gemma4-architecture.md §2).
import { describe, expect, it } from 'vitest';
import { attendOne } from './attention.js';
import { gelu, matVec, rmsNorm, rmsNormSlices, ropeInPlace, softcapInPlace } from './math.js';

describe('reference primitives', () => {
  it('RMSNorm multiplies by w as stored (no 1+w), and without weight', () => {
    const y = rmsNorm([3, 4], [2, 0.5], 0);
    const rms = Math.sqrt((9 + 16) / 2);
    expect(y[0]).toBeCloseTo((3 / rms) * 2, 12);
    expect(y[1]).toBeCloseTo((4 / rms) * 0.5, 12);
    expect(rmsNorm([0, 0], undefined, 1e-6)[0]).toBe(0);
    const s = rmsNormSlices([1, 1, 2, 2], 2, [1, 3], 0);
    expect([...s]).toEqual([1, 3, 1, 3]);
  });

  it('tanh GELU matches known values', () => {
    expect(gelu(1)).toBeCloseTo(0.8411919906082768, 12);
    expect(gelu(-1)).toBeCloseTo(-0.15880800939172324, 12);
    expect(gelu(0)).toBe(0);
  });

  it('matVec uses HF [out, in] row-major weights', () => {
    const y = matVec({ rows: 2, cols: 3, data: Float32Array.of(1, 2, 3, 4, 5, 6) }, [1, 0, -1]);
    expect([...y]).toEqual([-2, -2]);
  });

  it('RoPE rotates half-split pairs (j, j + d/2), not interleaved, and skips zero frequencies', () => {
    const inv = Float32Array.of(1, 0.5, 0, 0); // headDim 8: pairs (0,4) (1,5) rotate; (2,6) (3,7) pass through
    const x = Float64Array.of(1, 1, 1, 1, 0, 0, 0, 0);
    ropeInPlace(x, 8, 2, inv);
    expect(x[0]).toBeCloseTo(Math.cos(2), 6);
    expect(x[4]).toBeCloseTo(Math.sin(2), 6);
    expect(x[1]).toBeCloseTo(Math.cos(1), 6);
    expect(x[5]).toBeCloseTo(Math.sin(1), 6);
    expect([x[2], x[3], x[6], x[7]]).toEqual([1, 1, 0, 0]);
    const y = Float64Array.of(1, 2, 3, 4);
    ropeInPlace(y, 4, 0, Float32Array.of(1, 1));
    expect([...y]).toEqual([1, 2, 3, 4]);
  });

  it('softcap is cap * tanh(z / cap), and 0 disables it', () => {
    const z = Float32Array.of(0, 30, -300);
    softcapInPlace(z, 30);
    expect(z[0]).toBe(0);
    expect(z[1]).toBeCloseTo(30 * Math.tanh(1), 5);
    expect(z[2]).toBeCloseTo(-30, 3);
    const w = Float32Array.of(100);
    softcapInPlace(w, 0);
    expect(w[0]).toBe(100);
    const broken = Float32Array.of(NaN, Infinity, -Infinity);
    softcapInPlace(broken, 30); // a broken model's logits stay visibly broken
    expect([...broken]).toEqual([NaN, Infinity, -Infinity]);
  });
});

describe('reference attention', () => {
  // 2 query heads sharing 1 KV head of dim 2; keys at positions 0..3.
  const keys = [
    [1, 0],
    [0, 1],
    [1, 1],
    [-1, 0],
  ];
  const values = [
    [1, 0],
    [0, 1],
    [2, 2],
    [5, -5],
  ];
  const kv = { keys, values };
  const manual = (q: number[], pos: number, first: number) => {
    const s = keys.slice(first, pos + 1).map((k) => k[0] * q[0] + k[1] * q[1]);
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    return [0, 1].map((d) => e.reduce((acc, w, j) => acc + (w / z) * values[first + j][d], 0));
  };

  it('is causal with scale 1.0 and GQA head mapping', () => {
    const q = [0.3, -0.7, 2, 1];
    const out = attendOne(q, 2, kv, 2, 1, 2, undefined);
    const h0 = manual([0.3, -0.7], 2, 0);
    const h1 = manual([2, 1], 2, 0);
    expect(out[0]).toBeCloseTo(h0[0], 12);
    expect(out[1]).toBeCloseTo(h0[1], 12);
    expect(out[2]).toBeCloseTo(h1[0], 12);
    expect(out[3]).toBeCloseTo(h1[1], 12);
  });

  it('applies the sliding window: key j allowed iff pos - j < window', () => {
    const q = [1, 2];
    const out = attendOne(q, 3, kv, 1, 1, 2, 2); // keys 2 and 3 only
    const expected = manual(q, 3, 2);
    expect(out[0]).toBeCloseTo(expected[0], 12);
    expect(out[1]).toBeCloseTo(expected[1], 12);
    expect(attendOne(q, 0, kv, 1, 1, 2, 1)[0]).toBeCloseTo(1, 12); // window 1: only itself
  });

  it('maps query heads to KV heads as floor(h / group)', () => {
    const kv2 = { keys: [[1, 0, 0, 1]], values: [[7, 7, -3, -3]] };
    const out = attendOne([1, 1, 1, 1, 1, 1, 1, 1], 0, kv2, 4, 2, 2, undefined);
    expect([...out]).toEqual([7, 7, 7, 7, -3, -3, -3, -3]);
  });
});
