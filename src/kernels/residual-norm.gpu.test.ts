// residual-norm on the GPU against the composed reference: every variant (layer scalar, next norm) and awkward sizes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { residualNorm } from '../reference/residual-norm.js';
import { bindResidualNorm } from './residual-norm.js';
import { empty, seeded, testContext, toleranceRatio, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

describe('residual-norm', () => {
  const cases = [
    { rows: 1, n: 1536, scalar: undefined, next: true }, // post-attention add + pre-FFN norm
    { rows: 1, n: 2560, scalar: 0.37, next: true }, // post-PLE add + layer scalar + next input norm
    { rows: 5, n: 100, scalar: undefined, next: false },
    { rows: 33, n: 129, scalar: 0.05, next: false },
    { rows: 5, n: 1, scalar: 2.5, next: true },
    { rows: 33, n: 300, scalar: 0.8, next: true },
  ];
  it.each(cases)('rows $rows n $n scalar $scalar next $next', async ({ rows, n, scalar, next }) => {
    const r = seeded(rows * 131 + n);
    const x = r.array(rows * n, 4);
    const branch = r.array(rows * n, 30);
    const w = Float32Array.from({ length: n }, () => 1 + 0.3 * r.normal());
    const wNext = Float32Array.from({ length: n }, () => 0.5 + 0.3 * r.normal());
    const xBuf = upload(ctx, x);
    const out = empty(ctx, rows * n * 4);
    const op = bindResidualNorm(ctx, {
      x: xBuf,
      branch: upload(ctx, branch),
      weight: upload(ctx, w),
      eps: 1e-6,
      rows,
      n,
      layerScalar: scalar,
      nextNorm: next ? { weight: upload(ctx, wNext), out } : undefined,
    });
    submitOps(ctx, [op]);
    const ref = residualNorm(x, branch, w, 1e-6, rows, n, scalar ?? 1, next ? wNext : undefined);
    expect(toleranceRatio(await readF32(ctx, xBuf, 0, rows * n), ref.x, 1e-5, 1e-5).worst).toBeLessThan(1);
    if (next) expect(toleranceRatio(await readF32(ctx, out, 0, rows * n), ref.next!, 1e-5, 1e-5).worst).toBeLessThan(1);
  });

  it('is bound once and applied again on the next submit', async () => {
    const n = 70;
    const r = seeded(5);
    const x = r.array(2 * n);
    const branch = r.array(2 * n);
    const w = r.array(n);
    const xBuf = upload(ctx, x);
    const op = bindResidualNorm(ctx, { x: xBuf, branch: upload(ctx, branch), weight: upload(ctx, w), eps: 1e-6, rows: 2, n, layerScalar: 0.5 });
    submitOps(ctx, [op, op]);
    const once = residualNorm(x, branch, w, 1e-6, 2, n, 0.5).x;
    const twice = residualNorm(once, branch, w, 1e-6, 2, n, 0.5).x;
    expect(toleranceRatio(await readF32(ctx, xBuf, 0, 2 * n), twice, 1e-5, 1e-5).worst).toBeLessThan(1);
  });
});
