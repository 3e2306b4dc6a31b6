// copy-rows and softcap against their references, with sizes that do not divide the workgroup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { readF32, readU32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { bandwidthCopyReference } from '../reference/bandwidth-copy.js';
import { copyRowsReference } from '../reference/copy-rows.js';
import { softcapReference } from '../reference/softcap.js';
import { bindBandwidthCopy } from './bandwidth-copy.js';
import { bindCopyRows } from './copy-rows.js';
import { bindSoftcap } from './softcap.js';
import { seeded, testContext, toleranceRatio, upload } from './test-helpers.js';

let ctx: GpuContext;
beforeAll(async () => (ctx = await testContext()));
afterAll(() => ctx?.destroy());

describe('copy-rows', () => {
  it.each([
    { n: 1, srcOffset: 0, dstOffset: 5 },
    { n: 300, srcOffset: 17, dstOffset: 0 },
    { n: 1537, srcOffset: 1537, dstOffset: 3 },
  ])('n $n', async ({ n, srcOffset, dstOffset }) => {
    const r = seeded(n);
    const src = r.array(n + srcOffset);
    const dst = r.array(n + dstOffset + 4);
    const dstBuf = upload(ctx, dst);
    submitOps(ctx, [bindCopyRows(ctx, { src: upload(ctx, src), dst: dstBuf, n, srcOffset, dstOffset })]);
    const gpu = await readF32(ctx, dstBuf, 0, dst.length);
    copyRowsReference(src, dst, n, srcOffset, dstOffset);
    expect(gpu).toEqual(dst);
  });
});

describe('softcap', () => {
  it.each([1, 255, 4099])('n %i', async (n) => {
    const z = seeded(n).array(n, 40);
    const buf = upload(ctx, z);
    submitOps(ctx, [bindSoftcap(ctx, { z: buf, n, cap: 30 })]);
    const gpu = await readF32(ctx, buf, 0, n);
    const ref = Float64Array.from(z);
    softcapReference(ref, 30);
    expect(toleranceRatio(gpu, ref, 1e-5, 1e-5).worst).toBeLessThan(1);
  });

  it('leaves NaN and +-Inf as they are (a broken model must not look finite), like the reference', async () => {
    const z = Float32Array.of(1, NaN, Infinity, -Infinity, -50);
    const buf = upload(ctx, z);
    submitOps(ctx, [bindSoftcap(ctx, { z: buf, n: z.length, cap: 30 })]);
    const gpu = await readF32(ctx, buf, 0, z.length);
    const ref = Float64Array.from(z);
    softcapReference(ref, 30);
    expect([...gpu.slice(1, 4)]).toEqual([NaN, Infinity, -Infinity]);
    expect([...ref.slice(1, 4)]).toEqual([NaN, Infinity, -Infinity]);
    expect(toleranceRatio(gpu.subarray(4), ref.subarray(4), 1e-5, 1e-5).worst).toBeLessThan(1);
  });
});

describe('bandwidth-copy', () => {
  it.each([16, 16 * 1000 + 16, 1 << 20])('%i bytes', async (bytes) => {
    const src = Uint32Array.from({ length: bytes / 4 }, (_, i) => (i * 2654435761) >>> 0);
    const dst = upload(ctx, new Uint32Array(bytes / 4));
    submitOps(ctx, [bindBandwidthCopy(ctx, { src: upload(ctx, src), dst, bytes, workgroups: 7 })]);
    expect(await readU32(ctx, dst, 0, bytes / 4)).toEqual(bandwidthCopyReference(src));
  });
});
