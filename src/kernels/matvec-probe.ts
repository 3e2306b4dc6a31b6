// Start-up probe for the subgroup activation variant of matvec: it is used only where it computes exactly what
// the plain variant computes (same loads, same arithmetic, so the outputs must be bit-identical) on this device.
import { createStorageBuffer, uploadStorageBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { readF32 } from '../gpu/readback.js';
import { submitOps } from '../gpu/recorder.js';
import { bindMatvec, isCpuAdapter, matvecShape, setMatvecSubgroupX } from './matvec.js';
import { createGpuWeight, WeightType } from './weight-layout.js';

/** Q4_0 blocks with codes and scales from a fixed pattern (no random source needed, any values will do). */
function probeWeight(rows: number, cols: number): Uint8Array {
  const blocks = (rows * cols) / 32;
  const out = new Uint8Array(blocks * 18);
  for (let b = 0; b < blocks; b++) {
    const o = b * 18;
    out[o] = (b * 37) & 0xff; // f16 d = 2^-10 .. 2^-8 range: exponent bits below
    out[o + 1] = 0x14 + (b % 8);
    for (let i = 2; i < 18; i++) out[o + i] = (b * 131 + i * 29) & 0xff;
  }
  return out;
}

/**
 * Runs a small matvec (odd row count, several granules, m = 1 and m = 3) with both activation variants and
 * enables the subgroup one for this device when their outputs match exactly. Never throws: any failure (no
 * subgroups, a compile error, a wrong result) leaves the plain variant in use. Returns the verdict.
 */
export async function probeMatvecSubgroups(ctx: GpuContext): Promise<boolean> {
  setMatvecSubgroupX(ctx, false);
  if (!ctx.features.subgroups || !isCpuAdapter(ctx)) return false;
  const scope = ctx.beginScope();
  ctx.device.pushErrorScope('validation');
  let scopePopped = false;
  try {
    const rows = 67;
    const cols = 160;
    const m = 3;
    const weight = createGpuWeight(ctx, 'matvec probe', WeightType.Q4_0, [cols, rows], probeWeight(rows, cols));
    const x = uploadStorageBuffer(ctx, Float32Array.from({ length: m * cols }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5))), 'probe x');
    const perVariant = (m + 1) * rows; // an m = 3 product (MULTI), then an m = 1 product of x's row 1
    const y = createStorageBuffer(ctx, 2 * perVariant * 4, 'probe y');
    // the CPU shape the model uses (so a Q4_0 model reuses these pipelines); 67 rows leave most of the workgroup
    // computing clamped duplicates, which must not be stored
    const shape = { ...matvecShape(ctx, rows, cols / 32), lanes: 1 };
    const ops = [false, true].flatMap((subgroupX, v) => [
      ...bindMatvec(ctx, { weight, x, y, m, yOffset: v * perVariant }, { ...shape, subgroupX }),
      ...bindMatvec(ctx, { weight, x, y, m: 1, xOffset: cols, yOffset: v * perVariant + m * rows }, { ...shape, subgroupX }),
    ]);
    submitOps(ctx, ops, 'matvec probe');
    scopePopped = true;
    const error = await ctx.device.popErrorScope();
    const out = await readF32(ctx, y, 0, 2 * perVariant);
    const plain = out.subarray(0, perVariant);
    const sub = out.subarray(perVariant);
    const ok = error === null && plain.some((v) => v !== 0) && plain.every((v, i) => Object.is(v, sub[i]));
    setMatvecSubgroupX(ctx, ok);
    return ok;
  } catch {
    return false;
  } finally {
    if (!scopePopped) await ctx.device.popErrorScope().catch(() => undefined);
    scope.destroy();
  }
}
