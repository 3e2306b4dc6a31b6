// Loads Dawn's Node addon (dawn.node from the `webgpu` package) from a path: the kit carries it beside the bundle
// instead of a node_modules tree. Installs Dawn's WebGPU globals (GPUBufferUsage, ...) as a browser has them.
import { createRequire } from 'node:module';

/**
 * Toggles for benchmarking: full-resolution timestamps (Dawn rounds them to 100 µs by default, too coarse for
 * a per-kernel profile) and the APIs Chromium enables with --enable-unsafe-webgpu, as in `npm run bench`.
 */
export const BENCH_DAWN_FLAGS = ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization'];

export function loadDawn(addonPath: string, flags: readonly string[]): GPU {
  const require = createRequire(import.meta.url);
  const addon = require(addonPath) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, addon.globals);
  return addon.create([...flags]);
}

/** Everything the adapter offers (the engine's device asks for a subset): name, features, all limits. */
export async function adapterReport(gpu: GPU, powerPreference: GPUPowerPreference = 'high-performance') {
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; subgroupMinSize?: number; subgroupMaxSize?: number };
  const limits: Record<string, number> = {};
  for (const k in adapter.limits) limits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? false,
    subgroupMinSize: info.subgroupMinSize,
    subgroupMaxSize: info.subgroupMaxSize,
    features: [...adapter.features].sort(),
    limits,
  };
}
