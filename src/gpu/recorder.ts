// Records BoundOps into one command buffer with one compute pass, and submits it. Counts dispatches.
import type { GpuContext } from './context.js';
import type { BoundOp } from './kernel.js';

export interface RecordedCommands {
  readonly commandBuffer: GPUCommandBuffer;
  readonly dispatches: number;
}

/** One encoder, one pass, every op in order; `after` may add copies after the pass (e.g. to a staging buffer). */
export function recordOps(
  ctx: GpuContext,
  ops: readonly BoundOp[],
  after?: (encoder: GPUCommandEncoder) => void,
  label = 'ops',
): RecordedCommands {
  const encoder = ctx.device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  for (const op of ops) op.encode(pass);
  pass.end();
  after?.(encoder);
  return { commandBuffer: encoder.finish(), dispatches: ops.length };
}

/** Records and submits ops; returns the number of dispatches. */
export function submitOps(ctx: GpuContext, ops: readonly BoundOp[], label?: string): number {
  const { commandBuffer, dispatches } = recordOps(ctx, ops, undefined, label);
  ctx.device.queue.submit([commandBuffer]);
  return dispatches;
}
