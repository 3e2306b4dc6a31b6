// Typed errors of the GPU layer: no WebGPU, a device that was lost, a buffer larger than the device allows.

export type GpuErrorCode = 'NO_WEBGPU' | 'NO_ADAPTER' | 'DEVICE_LOST' | 'OUT_OF_MEMORY' | 'TOO_LARGE' | 'SHADER_ERROR';

export class GpuError extends Error {
  override readonly name = 'GpuError';
  constructor(
    readonly code: GpuErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
