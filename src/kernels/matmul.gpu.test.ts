// matmul on the GPU against the reference: every weight type x awkward shapes x M = 1, 7, 33, 64 (both tile
// heights) x accumulate, offsets/strides, weights split into >= 3 parts; and bindLinear's choice for m > 8.
// Tolerance: linearTolerance (weight-test-helpers.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSizeOf, KERNEL_WEIGHT_TYPES, randomWeight, typeName } from '../../scripts/fixtures/quant-weights.js';
import type { GpuContext } from '../gpu/context.js';
import { matmulRef } from '../reference/matmul.js';
import { bindLinear } from './linear.js';
import { bindMatmul } from './matmul.js';
import { testContext } from './test-helpers.js';
import { runLinearCases, type LinearCase } from './weight-test-helpers.js';

// 8 KiB binding cap: the 300-row weights below span >= 3 parts, the small ones one.
const LIMIT = 8192;
let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext({ maxStorageBindingSize: LIMIT })));
afterAll(() => ctx?.destroy());

// [N, K multiple of the block size, M, accumulate]: M = 1, 7, 33, 64 (one and two 64-row tiles, idle threads),
// N around the 64-row weight tile, K = block size x {1, 3, 7} (float types: 1, 3, 7 (tail) and 1536).
function shapes(type: number): [number, number, number, boolean][] {
  const bs = blockSizeOf(type);
  if (bs === 1) return [[1, 1, 1, false], [3, 3, 7, true], [37, 7, 33, false], [300, 7, 64, true], [37, 1536, 7, false]];
  return [[1, bs, 1, false], [3, bs, 7, true], [37, 3 * bs, 33, false], [300, 7 * bs, 64, false], [300, 7 * bs, 7, true]];
}

describe('matmul', () => {
  it.each(KERNEL_WEIGHT_TYPES.map((t) => [typeName(t), t] as const))('%s: shapes x M x accumulate, split weights', async (_name, type) => {
    const cases: LinearCase[] = shapes(type).map(([N, K, m, accumulate], i) => ({
      w: randomWeight(type, N, K, 2000 * type + 7 * N + K, i % 2 ? 'blocks' : 'quantize'),
      m,
      accumulate,
    }));
    const K = blockSizeOf(type) === 1 ? 64 : blockSizeOf(type) * 2;
    cases.push({ w: randomWeight(type, 37, K, 77 + type), m: 33, accumulate: true, xOffset: 8, xStride: K + 4, yOffset: 3, yStride: 41 });
    const failures = await runLinearCases(ctx, bindMatmul, cases, type, matmulRef, (parts, c) => {
      if (c.w.rows === 300) expect(parts).toBeGreaterThanOrEqual(3);
    });
    expect(failures).toEqual([]);
  });

  it('bindLinear for m > 8 (matmul on GPUs, groups of 8 matvec rows on CPU adapters)', async () => {
    const cases: LinearCase[] = [
      { w: randomWeight(2, 300, 96, 5), m: 20, accumulate: false },
      { w: randomWeight(12, 37, 512, 6), m: 9, accumulate: true, xOffset: 4, xStride: 520, yOffset: 1, yStride: 40 },
    ];
    expect(await runLinearCases(ctx, bindLinear, cases, 9, matmulRef)).toEqual([]);
  });
});
