// rope / norm-rope on the GPU against the reference (rmsNormSlices + ropeInPlace), over head dims, head counts,
// row counts, far positions and both frequency tables; the op is bound once and reused at a second position.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { normRopeRows, ropeRows } from '../reference/rope.js';
import { expectClose, invFreqTable, setStartPos, stepBuffer } from './attention-test-helpers.js';
import { bindNormRope, bindRope } from './rope.js';
import { seeded, testContext, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

// f32 vs f64: the angle is the same f32 value on both sides; the GPU's own cos/sin (shaders/lib/rope.wgsl) are
// good to ~1e-7 at any position, the norm and rotation add a few roundings. Measured worst: 3.3e-7 absolute.
const ATOL = 2e-6;
const RTOL = 1e-5;

describe('rope', () => {
  const cases = [
    { headDim: 256, heads: 8, rows: 1, pos: 0, kind: 'sliding', norm: true },
    { headDim: 256, heads: 1, rows: 7, pos: 4099, kind: 'sliding', norm: true },
    { headDim: 512, heads: 8, rows: 7, pos: 100_003, kind: 'proportional', norm: true },
    { headDim: 512, heads: 2, rows: 1, pos: 131_000, kind: 'sliding', norm: false },
    { headDim: 64, heads: 2, rows: 33, pos: 17, kind: 'sliding', norm: true },
    { headDim: 32, heads: 4, rows: 33, pos: 70_000, kind: 'sliding', norm: false },
    { headDim: 96, heads: 3, rows: 5, pos: 513, kind: 'proportional', norm: false }, // half = 48: not a multiple of 64
  ] as const;
  it.each(cases)('headDim $headDim heads $heads rows $rows pos $pos $kind norm $norm', async ({ headDim, heads, rows, pos, kind, norm }) => {
    const r = seeded(headDim * 7 + heads * 131 + rows);
    const n = rows * heads * headDim;
    const x = r.array(n, norm ? 2 : 1);
    const w = Float32Array.from({ length: headDim }, () => 1 + 0.3 * r.normal());
    const invFreq = invFreqTable(headDim, kind);
    const xBuf = upload(ctx, x);
    const step = stepBuffer(ctx, pos);
    const args = { x: xBuf, rows, heads, headDim, invFreq: upload(ctx, invFreq), step };
    const op = norm ? bindNormRope(ctx, { ...args, weight: upload(ctx, w), eps: 1e-6 }) : bindRope(ctx, args);
    const ref = (p: number) => (norm ? normRopeRows(x, rows, headDim, p, invFreq, w, 1e-6) : ropeRows(x, rows, headDim, p, invFreq));
    submitOps(ctx, [op]);
    expectClose(await readF32(ctx, xBuf, 0, n), ref(pos), ATOL, RTOL, `pos ${pos}`);
    // the same bound op at another position (Step rewritten, input restored)
    writeBuffer(ctx, xBuf, 0, x);
    setStartPos(ctx, step, pos + 1234);
    submitOps(ctx, [op]);
    expectClose(await readF32(ctx, xBuf, 0, n), ref(pos + 1234), ATOL, RTOL, `pos ${pos + 1234}`);
  });
});
