// The benchmark, run inside the page: the model read over HTTP Range, measured by scripts/bench/measure.ts (the
// same code the real-GPU kit runs in Node).
import { measureModel, type MeasureOptions } from '../../scripts/bench/measure.js';
import { createGpuContext } from '../../src/gpu/context.js';
import { openHttpSource } from '../../src/storage/http-source.js';

export type BenchOptions = MeasureOptions;

export async function runBench(url: string, o: BenchOptions) {
  const ctx = await createGpuContext();
  try {
    return await measureModel(ctx, await openHttpSource(url), o);
  } finally {
    ctx.destroy();
  }
}
