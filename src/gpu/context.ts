// GpuContext: adapter, device, the limits the engine may use, optional features, and device loss.
// Knows nothing about Gemma.
import { GpuError } from './errors.js';

export interface GpuLimits {
  /** Largest storage binding the engine uses (<= the device's; tests lower it to exercise tensor splitting). */
  readonly maxStorageBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxStorageBuffersPerStage: number;
  readonly maxWorkgroupsPerDimension: number;
  readonly maxWorkgroupStorageSize: number;
  readonly maxInvocationsPerWorkgroup: number;
  readonly minStorageOffsetAlignment: number;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: { vendor: string; architecture: string; device: string; description: string; isFallback: boolean };
  readonly limits: GpuLimits;
  readonly features: { readonly subgroups: boolean; readonly shaderF16: boolean; readonly timestampQuery: boolean };
  /** Resolves when the device is lost (also after destroy()). */
  readonly lost: Promise<GPUDeviceLostInfo>;
  /** The latest uncaptured WebGPU errors (validation, out-of-memory), newest last; at most 20 are kept. */
  readonly errors: string[];
  /** Total bytes of buffers created through createBuffer (for memory reports). */
  allocatedBytes: number;
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer;
  /** Collects every buffer created until end(); destroy() frees them (unloading a model keeps the device). */
  beginScope(): AllocationScope;
  destroy(): void;
}

export interface AllocationScope {
  readonly bytes: number;
  end(): void;
  destroy(): void;
}

/**
 * The device limits the engine requests at the adapter's maximum (every other limit keeps its default). One list:
 * the benchmark reports these (scripts/bench/measure.ts).
 */
export const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const satisfies readonly (keyof GPUSupportedLimits)[];

export interface GpuContextOptions {
  /** Cap on the storage binding size the engine will use (default: the adapter's maximum). */
  readonly maxStorageBindingSize?: number;
  readonly powerPreference?: GPUPowerPreference;
  /** For Node (Dawn through the `webgpu` package): the GPU object to use instead of navigator.gpu. */
  readonly gpu?: GPU;
}

export async function createGpuContext(options: GpuContextOptions = {}): Promise<GpuContext> {
  const gpu = options.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!gpu) {
    throw new GpuError(
      'NO_WEBGPU',
      'This browser has no WebGPU (navigator.gpu is missing). Use a recent Chrome, Edge or Safari over https or localhost.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new GpuError('NO_ADAPTER', 'WebGPU is present but no GPU adapter is available (it may be disabled or blocklisted).');
  }
  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {};
  for (const k of REQUESTED_LIMITS) requiredLimits[k] = a[k] as number;
  const requiredFeatures: GPUFeatureName[] = [];
  const has = (f: string) => adapter.features.has(f);
  if (has('subgroups')) requiredFeatures.push('subgroups' as GPUFeatureName);
  if (has('shader-f16')) requiredFeatures.push('shader-f16');
  if (has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const d = device.limits;
  const scopes = new Set<GPUBuffer[]>();
  const ctx: GpuContext = {
    device,
    adapterInfo: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallback: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    },
    limits: {
      maxStorageBindingSize: Math.min(d.maxStorageBufferBindingSize, options.maxStorageBindingSize ?? Infinity),
      maxBufferSize: d.maxBufferSize,
      maxStorageBuffersPerStage: d.maxStorageBuffersPerShaderStage,
      maxWorkgroupsPerDimension: d.maxComputeWorkgroupsPerDimension,
      maxWorkgroupStorageSize: d.maxComputeWorkgroupStorageSize,
      maxInvocationsPerWorkgroup: d.maxComputeInvocationsPerWorkgroup,
      minStorageOffsetAlignment: d.minStorageBufferOffsetAlignment,
    },
    features: {
      subgroups: device.features.has('subgroups'),
      shaderF16: device.features.has('shader-f16'),
      timestampQuery: device.features.has('timestamp-query'),
    },
    lost: device.lost,
    errors: [],
    allocatedBytes: 0,
    createBuffer(descriptor) {
      const buffer = device.createBuffer(descriptor);
      ctx.allocatedBytes += descriptor.size;
      for (const scope of scopes) scope.push(buffer);
      return buffer;
    },
    beginScope() {
      const buffers: GPUBuffer[] = [];
      scopes.add(buffers);
      return {
        get bytes() {
          return buffers.reduce((n, b) => n + b.size, 0);
        },
        end: () => void scopes.delete(buffers),
        destroy() {
          scopes.delete(buffers);
          for (const b of buffers) {
            ctx.allocatedBytes -= b.size;
            b.destroy();
          }
          buffers.length = 0;
        },
      };
    },
    destroy: () => device.destroy(),
  };
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    ctx.errors.push(message);
    if (ctx.errors.length > 20) ctx.errors.shift();
    console.error(`WebGPU error: ${message}`);
  });
  return ctx;
}
