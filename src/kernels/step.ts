// The per-submit Step uniform (shaders/lib/step.wgsl): one buffer for the whole model, rewritten before each submit.
import stepWgsl from '../../shaders/lib/step.wgsl?raw';
import { BufferUsage } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';

export const STEP_WGSL = stepWgsl;

export interface StepValues {
  readonly startPos: number;
  readonly step: number;
  readonly seed: number;
}

export function createStepBuffer(ctx: GpuContext): GPUBuffer {
  return ctx.createBuffer({ label: 'step', size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
}

export function writeStep(ctx: GpuContext, buffer: GPUBuffer, v: StepValues): void {
  ctx.device.queue.writeBuffer(buffer, 0, Uint32Array.of(v.startPos, v.step, v.seed >>> 0, v.startPos));
}
