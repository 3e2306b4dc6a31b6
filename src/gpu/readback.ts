// The one place that reads GPU buffers back to the CPU (tests, the logits command, the sampled token id).
import { BufferUsage } from './buffers.js';
import type { GpuContext } from './context.js';
import { GpuError } from './errors.js';

/** Copies [offset, offset + byteSize) of `buffer` to a fresh staging buffer and maps it. */
export async function readBuffer(ctx: GpuContext, buffer: GPUBuffer, offset = 0, byteSize = buffer.size - offset): Promise<ArrayBuffer> {
  const staging = ctx.device.createBuffer({ label: 'readback', size: byteSize, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = ctx.device.createCommandEncoder({ label: 'readback' });
  encoder.copyBufferToBuffer(buffer, offset, staging, 0, byteSize);
  ctx.device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(1 /* GPUMapMode.READ */);
  } catch (e) {
    staging.destroy();
    throw new GpuError('DEVICE_LOST', `Reading a GPU buffer failed: ${(e as Error).message}`);
  }
  const copy = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readF32(ctx: GpuContext, buffer: GPUBuffer, offset = 0, count?: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(ctx, buffer, offset, count === undefined ? undefined : count * 4));
}

export async function readU32(ctx: GpuContext, buffer: GPUBuffer, offset = 0, count?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBuffer(ctx, buffer, offset, count === undefined ? undefined : count * 4));
}

/** A reusable staging buffer for small per-step reads (the sampled token id): no allocation per token. */
export class StagingReader {
  private readonly staging: GPUBuffer;
  constructor(
    private readonly ctx: GpuContext,
    readonly byteSize: number,
  ) {
    this.staging = ctx.device.createBuffer({ label: 'staging', size: byteSize, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  }
  /** Adds the copy to an encoder; call read() after submitting that encoder's command buffer. */
  copyFrom(encoder: GPUCommandEncoder, source: GPUBuffer, offset = 0): void {
    encoder.copyBufferToBuffer(source, offset, this.staging, 0, this.byteSize);
  }
  async read(): Promise<ArrayBuffer> {
    await this.staging.mapAsync(1);
    const copy = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    return copy;
  }
  destroy(): void {
    this.staging.destroy();
  }
}
