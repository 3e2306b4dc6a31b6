// matvec on the GPU against the reference: every weight type x awkward shapes x m = 1, 2, 5 x accumulate,
// offsets/strides, and weights split into >= 3 parts. Tolerance: linearTolerance (weight-test-helpers.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSizeOf, KERNEL_WEIGHT_TYPES, randomWeight, typeName } from '../../scripts/fixtures/quant-weights.js';
import type { GpuContext } from '../gpu/context.js';
import { matvecRef } from '../reference/matvec.js';
import { bindMatvec, isCpuAdapter, matvecSubgroupXEnabled, type MatvecShape } from './matvec.js';
import { probeMatvecSubgroups } from './matvec-probe.js';
import { testContext } from './test-helpers.js';
import { runLinearCases, type LinearCase } from './weight-test-helpers.js';

// One context (pipelines compile once per file; SwiftShader compiles slowly) with an 8 KiB binding cap: the
// 300-row weights span >= 3 parts, the small ones a single part.
let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext({ maxStorageBindingSize: 8192 })));
afterAll(() => ctx?.destroy());

const NS = [1, 3, 37, 300];
const MS = [1, 2, 5];

function kValues(type: number): number[] {
  const bs = blockSizeOf(type);
  return bs === 1 ? [1, 3, 7, 1536] : [bs, 3 * bs, 7 * bs].concat(bs === 32 ? [1536] : []);
}

describe('matvec', () => {
  it.each(KERNEL_WEIGHT_TYPES.map((t) => [typeName(t), t] as const))('%s: shapes x m x accumulate', async (_name, type) => {
    const cases: LinearCase[] = [];
    let i = 0;
    for (const K of kValues(type)) {
      for (const N of K >= 1536 ? [37] : NS) {
        const w = randomWeight(type, N, K, 1000 * type + 7 * N + K, i % 2 ? 'blocks' : 'quantize');
        cases.push({ w, m: MS[i % 3], accumulate: i % 4 >= 2 });
        i++;
      }
    }
    // a strided, offset case (rows of a wider activation buffer, outputs into a wider row)
    const K = blockSizeOf(type) === 1 ? 64 : blockSizeOf(type) * 2;
    cases.push({ w: randomWeight(type, 37, K, 99 + type), m: 2, accumulate: true, xOffset: 8, xStride: K + 4, yOffset: 3, yStride: 41 });
    const failures = await runLinearCases(ctx, bindMatvec, cases, type, matvecRef);
    expect(failures).toEqual([]);
  });

  // The shapes matvecShape picks on GPUs (lanes along K reduced in workgroup memory, 1-2 rows per thread), forced
  // here because SwiftShader gets the CPU shape; the decoders are shared, so a few types suffice.
  const gpuShapes: MatvecShape[] = [
    { wgRows: 8, lanes: 32, rpt: 1 },
    { wgRows: 16, lanes: 4, rpt: 2 },
  ];
  it.each([1, 2, 12, 14].map((t) => [typeName(t), t] as const))('%s: GPU workgroup shapes', async (_name, type) => {
    const bs = blockSizeOf(type);
    for (const shape of gpuShapes) {
      const cases: LinearCase[] = [
        { w: randomWeight(type, 37, bs === 1 ? 1536 : 7 * bs, 55 + type), m: 1, accumulate: false },
        { w: randomWeight(type, 300, bs === 1 ? 96 : 3 * bs, 56 + type, 'blocks'), m: 3, accumulate: true },
      ];
      const failures = await runLinearCases(ctx, (c, a) => bindMatvec(c, a, shape), cases, type + 5, matvecRef);
      expect(failures, JSON.stringify(shape)).toEqual([]);
    }
  });

  it.each(KERNEL_WEIGHT_TYPES.map((t) => [typeName(t), t] as const))('%s: weight split into parts', async (_name, type) => {
    const K = blockSizeOf(type) === 1 ? 96 : blockSizeOf(type) * (blockSizeOf(type) === 32 ? 4 : 1);
    const w = randomWeight(type, 300, K, 4242 + type);
    const cases = [{ w, m: 2, accumulate: false }, { w, m: 1, accumulate: true }];
    const failures = await runLinearCases(ctx, bindMatvec, cases, type + 1, matvecRef, (parts) => expect(parts).toBeGreaterThanOrEqual(3));
    expect(failures).toEqual([]);
  });

  // The CPU-adapter variant whose subgroup lanes share activation loads: the start-up probe enables it exactly
  // where subgroups exist on a CPU adapter (SwiftShader here), and it matches the reference for every type,
  // with K tails, m > 1, offsets and split weights.
  it('subgroup activation variant: probe, then every type', async () => {
    const expected = ctx.features.subgroups && isCpuAdapter(ctx);
    expect(await probeMatvecSubgroups(ctx)).toBe(expected);
    expect(matvecSubgroupXEnabled(ctx)).toBe(expected);
    expect(ctx.features.subgroups, 'SwiftShader offers subgroups; this test must exercise the variant').toBe(true);
    const shapes: MatvecShape[] = [
      { wgRows: 64, lanes: 1, rpt: 4, subgroupX: true },
      { wgRows: 16, lanes: 1, rpt: 2, subgroupX: true },
    ];
    for (const type of KERNEL_WEIGHT_TYPES) {
      const bs = blockSizeOf(type);
      const cases: LinearCase[] = [
        { w: randomWeight(type, 37, bs === 1 ? 1541 : 7 * bs, 77 + type), m: 1, accumulate: false },
        { w: randomWeight(type, 300, bs === 1 ? 99 : 3 * bs, 78 + type, 'blocks'), m: 5, accumulate: true },
        { w: randomWeight(type, 37, bs === 1 ? 64 : 2 * bs, 79 + type), m: 2, accumulate: true, xOffset: 8, xStride: (bs === 1 ? 64 : 2 * bs) + 4, yOffset: 3, yStride: 41 },
      ];
      for (const shape of shapes) {
        const failures = await runLinearCases(ctx, (c, a) => bindMatvec(c, a, shape), cases, type + 9, matvecRef);
        expect(failures, `${typeName(type)} ${JSON.stringify(shape)}`).toEqual([]);
      }
    }
  });
});
