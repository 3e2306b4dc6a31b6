// profileOps on the GPU: one timing per op, in order, named as the op, finite and non-negative; the longer op
// measures longer. (Chromium's timestamps are quantized, so only coarse relations are checked.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindBandwidthCopy } from '../kernels/bandwidth-copy.js';
import { testContext } from '../kernels/test-helpers.js';
import { createStorageBuffer } from './buffers.js';
import type { GpuContext } from './context.js';
import { profileOps } from './profile.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

describe('profileOps', () => {
  it('times every op of a list in its own pass', async () => {
    expect(ctx.features.timestampQuery, 'Chromium on SwiftShader offers timestamp-query').toBe(true);
    const bytes = 16 << 20;
    const src = createStorageBuffer(ctx, bytes, 'src');
    const dst = createStorageBuffer(ctx, bytes, 'dst');
    const big = bindBandwidthCopy(ctx, { src, dst, bytes });
    const tiny = bindBandwidthCopy(ctx, { src, dst, bytes: 16, workgroups: 1 });
    const t = await profileOps(ctx, [tiny, big, tiny]);
    expect(t).not.toBeNull();
    expect(t!.map((x) => x.name)).toEqual(['bandwidth-copy', 'bandwidth-copy', 'bandwidth-copy']);
    for (const x of t!) expect(Number.isFinite(x.ms) && x.ms >= 0).toBe(true);
    expect(t![1].ms).toBeGreaterThan(t![0].ms);
    expect(t![1].ms).toBeGreaterThan(t![2].ms);
    expect(ctx.errors).toEqual([]);
  });
});
