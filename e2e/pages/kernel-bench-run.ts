// Kernel microbenchmark, run inside the page: the decode matrix-vector products of E2B/E4B-sized layers (random
// valid weights of the real types) and the cost of a near-empty dispatch, each next to the copy kernel measured
// in the same run. Lets a matvec change be judged in seconds instead of a whole-model benchmark.
import { createStorageBuffer } from '../../src/gpu/buffers.js';
import { createGpuContext, type GpuContext } from '../../src/gpu/context.js';
import type { BoundOp } from '../../src/gpu/kernel.js';
import { submitOps } from '../../src/gpu/recorder.js';
import { GgmlType } from '../../src/gguf/types.js';
import { randomValidBlocks } from '../../src/gguf/quantize.js';
import { assertSupportedType } from '../../src/gguf/ggml-types.js';
import { bindBandwidthCopy } from '../../src/kernels/bandwidth-copy.js';
import { bindMatvec, type MatvecShape } from '../../src/kernels/matvec.js';
import { probeMatvecSubgroups } from '../../src/kernels/matvec-probe.js';
import { seeded } from '../../src/kernels/test-helpers.js';
import { createGpuWeight } from '../../src/kernels/weight-layout.js';

export interface KernelBenchCase {
  readonly name: string;
  readonly type: string; // GgmlType key, e.g. "Q4_0"
  readonly rows: number;
  readonly cols: number;
  readonly shape?: MatvecShape;
}

export interface KernelBenchOptions {
  readonly cases: readonly KernelBenchCase[];
  /** Target seconds per timed submit (repetitions are chosen to fill it). */
  readonly seconds: number;
  readonly copyMiB: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ms per op over 3 submits of `reps` copies of `ops`. */
async function timeOps(ctx: GpuContext, ops: readonly BoundOp[], seconds: number): Promise<number> {
  submitOps(ctx, ops);
  let t0 = performance.now();
  await ctx.device.queue.onSubmittedWorkDone(); // warm-up (and first estimate)
  const once = Math.max(0.01, performance.now() - t0);
  const reps = Math.max(1, Math.min(200, Math.round((seconds * 1000) / once)));
  const list = Array.from({ length: reps }, () => ops).flat();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    t0 = performance.now();
    submitOps(ctx, list);
    await ctx.device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / reps);
  }
  return median(times);
}

export async function runKernelBench(o: KernelBenchOptions) {
  const ctx = await createGpuContext();
  try {
    const subgroupX = await probeMatvecSubgroups(ctx);
    const bytes = o.copyMiB * 1024 * 1024;
    const src = createStorageBuffer(ctx, bytes, 'bench src');
    const dst = createStorageBuffer(ctx, bytes, 'bench dst');
    const copyMs = await timeOps(ctx, [bindBandwidthCopy(ctx, { src, dst, bytes })], o.seconds);
    const copyGBps = (2 * bytes) / (copyMs / 1000) / 1e9;
    const tiny = bindBandwidthCopy(ctx, { src, dst, bytes: 16, workgroups: 1 });
    const dispatchMs = await timeOps(ctx, Array.from({ length: 50 }, () => tiny), o.seconds) / 50;
    const rng = seeded(7);
    const results = [];
    for (const c of o.cases) {
      const type = GgmlType[c.type as keyof typeof GgmlType];
      const traits = assertSupportedType(type, c.name);
      const raw = randomValidBlocks(type, (c.rows * c.cols) / traits.blockSize, rng.next);
      const weight = createGpuWeight(ctx, c.name, type, [c.cols, c.rows], raw);
      const x = createStorageBuffer(ctx, c.cols * 4, 'x');
      const y = createStorageBuffer(ctx, c.rows * 4, 'y');
      const ops = bindMatvec(ctx, { weight, x, y, m: 1 }, c.shape);
      const ms = await timeOps(ctx, ops, o.seconds);
      const GBps = weight.byteSize / (ms / 1000) / 1e9;
      results.push({ ...c, weightBytes: weight.byteSize, ms, GBps, ratioToCopy: GBps / copyGBps });
      for (const p of weight.parts) for (const b of p.buffers) b.destroy();
      x.destroy();
      y.destroy();
    }
    return { adapter: ctx.adapterInfo, subgroupX, copyGBps, dispatchMs, results, errors: [...ctx.errors] };
  } finally {
    ctx.destroy();
  }
}
