// ple-combine on the GPU against the reference: E2B/E4B-like shapes, awkward widths, in place and out of place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { pleCombine } from '../reference/ple-combine.js';
import { bindPleCombine } from './ple-combine.js';
import { empty, seeded, testContext, toleranceRatio, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

describe('ple-combine', () => {
  const cases = [
    { rows: 1, layers: 35, width: 256, hidden: 1536, inPlace: false }, // E2B decode
    { rows: 1, layers: 42, width: 256, hidden: 2560, inPlace: true }, // E4B decode
    { rows: 5, layers: 3, width: 100, hidden: 64, inPlace: false }, // width not a multiple of the workgroup
    { rows: 33, layers: 2, width: 7, hidden: 10, inPlace: true },
    { rows: 5, layers: 1, width: 1, hidden: 3, inPlace: false },
  ];
  it.each(cases)('rows $rows layers $layers width $width in place $inPlace', async ({ rows, layers, width, hidden, inPlace }) => {
    const r = seeded(rows * 97 + layers * 13 + width);
    const total = rows * layers * width;
    const c = r.array(total, 20);
    const rows_ = r.array(total, 0.05);
    const w = Float32Array.from({ length: width }, () => 1 + 0.3 * r.normal());
    const cBuf = upload(ctx, c);
    const out = inPlace ? cBuf : empty(ctx, total * 4);
    const op = bindPleCombine(ctx, {
      c: cBuf,
      r: upload(ctx, rows_),
      normWeight: upload(ctx, w),
      out: inPlace ? undefined : out,
      rows,
      layers,
      width,
      hiddenSize: hidden,
      eps: 1e-6,
    });
    submitOps(ctx, [op]);
    const ref = pleCombine(c, rows_, w, rows, layers, width, hidden, 1e-6);
    expect(toleranceRatio(await readF32(ctx, out, 0, total), ref, 1e-5, 1e-5).worst).toBeLessThan(1);
  });
});
