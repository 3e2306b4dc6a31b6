// Per-op GPU timings with timestamp queries (benchmarks only): every op runs in its own compute pass whose
// begin/end timestamps are resolved and read back. Separate passes cost a little more than the one-pass recording
// the engine uses, so the sum is an upper bound; the shares are what matter.
import { BufferUsage } from './buffers.js';
import type { GpuContext } from './context.js';
import type { BoundOp } from './kernel.js';
import { readBuffer } from './readback.js';

export interface OpTiming {
  readonly name: string;
  readonly ms: number;
}

/** Runs `ops` once, each in its own timed pass; null when the device has no timestamp-query. */
export async function profileOps(ctx: GpuContext, ops: readonly BoundOp[]): Promise<OpTiming[] | null> {
  if (!ctx.features.timestampQuery || ops.length === 0) return null;
  const { device } = ctx;
  const count = 2 * ops.length;
  const querySet = device.createQuerySet({ type: 'timestamp', count });
  const resolve = device.createBuffer({ size: count * 8, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
  try {
    const encoder = device.createCommandEncoder({ label: 'profile' });
    ops.forEach((op, i) => {
      const pass = encoder.beginComputePass({ label: op.name, timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      op.encode(pass);
      pass.end();
    });
    encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
    device.queue.submit([encoder.finish()]);
    const t = new BigUint64Array(await readBuffer(ctx, resolve, 0, count * 8));
    return ops.map((op, i) => ({ name: op.name, ms: Number(t[2 * i + 1] - t[2 * i]) / 1e6 }));
  } finally {
    querySet.destroy();
    resolve.destroy();
  }
}

/** Sums timings by op name with layer numbers folded ("matvec blk.3.ffn_up.weight" -> "matvec blk.*.ffn_up.weight"). */
export function summarizeTimings(timings: readonly OpTiming[]): Array<{ name: string; count: number; ms: number; share: number }> {
  const total = timings.reduce((s, t) => s + t.ms, 0);
  const groups = new Map<string, { count: number; ms: number }>();
  for (const t of timings) {
    const key = t.name.replace(/blk\.\d+\./g, 'blk.*.').replace(/\[\d+\+\d+\]/g, '');
    const g = groups.get(key) ?? { count: 0, ms: 0 };
    g.count++;
    g.ms += t.ms;
    groups.set(key, g);
  }
  return [...groups.entries()]
    .map(([name, g]) => ({ name, count: g.count, ms: g.ms, share: total > 0 ? g.ms / total : 0 }))
    .sort((a, b) => b.ms - a.ms);
}
