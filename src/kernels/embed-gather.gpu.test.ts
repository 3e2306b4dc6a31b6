// embed-gather on the GPU against the reference: every table type x awkward widths and vocab sizes, token ids
// from a GPU buffer (repeats, the last row, ids past the table -> zero rows), tables split into >= 3 parts.
// Tolerance: exact (each output is one f32 rounding of dequantized value * scale, as in the reference), except
// that f16 subnormal weights (|w| < 2^-14) may be flushed to zero by the GPU: atol = 2^-14 * scale for F16.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockSizeOf, KERNEL_WEIGHT_TYPES, randomWeight, typeName } from '../../scripts/fixtures/quant-weights.js';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { embedGatherRef } from '../reference/embed-gather.js';
import { bindEmbedGather } from './embed-gather.js';
import { empty, seeded, testContext, toleranceRatio, upload } from './test-helpers.js';
import { createGpuWeight } from './weight-layout.js';

// 8 KiB binding cap: the widest 300-row tables span >= 3 parts.
let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext({ maxStorageBindingSize: 8192 })));
afterAll(() => ctx?.destroy());

describe('embed-gather', () => {
  it.each(KERNEL_WEIGHT_TYPES.map((t) => [typeName(t), t] as const))('%s: widths x vocab sizes x token rows', async (_name, type) => {
    const bs = blockSizeOf(type);
    const widths = bs === 1 ? [1, 7, 100, 1536] : [bs, 3 * bs, 7 * bs];
    const rnd = seeded(type + 11);
    const runs = [];
    let i = 0;
    let maxParts = 0;
    for (const cols of widths) {
      for (const vocab of [1, 3, 37, 300]) {
        const w = randomWeight(type, vocab, cols, 3000 * type + 13 * vocab + cols, i % 2 ? 'blocks' : 'quantize');
        const table = createGpuWeight(ctx, `${w.typeName}[${vocab}x${cols}]`, type, [cols, vocab], w.bytes);
        maxParts = Math.max(maxParts, table.parts.length);
        const m = [1, 2, 5, 9][i % 4];
        // ids: random rows, the last row, a repeat, and one past the table (a zero row)
        const ids = Uint32Array.from({ length: m }, (_, r) => (r === 1 ? vocab - 1 : r === 3 ? vocab : r === 4 ? 0 : Math.floor(rnd.next() * vocab)));
        const scale = 1 + 40 * rnd.next();
        const outStride = cols + (i % 3 === 2 ? 3 : 0);
        const outOffset = i % 3 === 2 ? 5 : 0;
        const out = empty(ctx, (outOffset + m * outStride) * 4);
        const ops = bindEmbedGather(ctx, { table, tokens: upload(ctx, ids), out, m, scale, outOffset, outStride });
        runs.push({ w, ids, scale, out, ops, m, cols, outStride, outOffset });
        i++;
      }
    }
    expect(maxParts).toBeGreaterThanOrEqual(3);
    submitOps(ctx, runs.flatMap((r) => r.ops));
    const failures: string[] = [];
    for (const r of runs) {
      const all = await readF32(ctx, r.out, 0, r.outOffset + r.m * r.outStride);
      const gpu = new Float32Array(r.m * r.cols);
      for (let q = 0; q < r.m; q++) gpu.set(all.subarray(r.outOffset + q * r.outStride, r.outOffset + q * r.outStride + r.cols), q * r.cols);
      const ref = embedGatherRef({ rows: r.w.rows, cols: r.cols, data: r.w.values }, r.ids, r.scale);
      const atol = type === 1 ? 2 ** -14 * r.scale : 1e-38;
      const t = toleranceRatio(gpu, ref, atol, 0);
      if (!(t.worst < 1)) failures.push(`${r.w.typeName} vocab ${r.w.rows} cols ${r.cols} m ${r.m}: worst ${t.worst} at ${t.at}: ${t.gpu} vs ${t.ref}`);
    }
    expect(failures).toEqual([]);
  });
});
