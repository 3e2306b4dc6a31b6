// rms-norm on the GPU against the reference, over awkward sizes and both variants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { rmsNormSlices } from '../reference/math.js';
import { bindRmsNorm } from './rms-norm.js';
import { empty, runAndRead, seeded, testContext, toleranceRatio, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

describe('rms-norm', () => {
  const cases = [
    { rows: 1, n: 1536, weight: true },
    { rows: 3, n: 100, weight: true }, // n not a multiple of the workgroup
    { rows: 8, n: 256, weight: false }, // per-head v_norm
    { rows: 17, n: 33, weight: true },
    { rows: 1, n: 1, weight: false },
  ];
  it.each(cases)('rows $rows n $n weight $weight', async ({ rows, n, weight }) => {
    const r = seeded(rows * 1000 + n);
    const x = r.array(rows * n, 3);
    const w = Float32Array.from({ length: n }, () => 1 + 0.3 * r.normal());
    const y = empty(ctx, rows * n * 4);
    const op = bindRmsNorm(ctx, { x: upload(ctx, x), weight: weight ? upload(ctx, w) : undefined, y, rows, n, eps: 1e-6 });
    const gpu = await runAndRead(ctx, [op], y, rows * n);
    const ref = rmsNormSlices(x, n, weight ? w : undefined, 1e-6);
    expect(toleranceRatio(gpu, ref, 1e-5, 1e-5).worst).toBeLessThan(1);
  });
});
