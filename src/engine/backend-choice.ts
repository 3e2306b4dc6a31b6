// Which compute backend a load uses. 'auto' takes WebGPU when it has a real adapter and the CPU (WebAssembly SIMD)
// path when WebGPU is missing, returns no adapter, or offers only a software fallback adapter (SwiftShader: the
// CPU path is several times faster there). The reason is reported in ModelInfo.
import type { GpuContext } from '../gpu/context.js';
import { GpuError } from '../gpu/errors.js';

export type BackendRequest = 'auto' | 'webgpu' | 'cpu';

export interface BackendChoice {
  readonly backend: 'webgpu' | 'cpu';
  readonly reason: string;
  readonly ctx?: GpuContext;
}

/** `gpu` opens (or returns the open) WebGPU context; `cpuAvailable` says whether wasm SIMD validates here. */
export async function chooseBackend(request: BackendRequest, gpu: () => Promise<GpuContext>, cpuAvailable: boolean): Promise<BackendChoice> {
  if (request === 'cpu') {
    if (!cpuAvailable) throw new GpuError('NO_WEBGPU', 'The CPU path needs WebAssembly SIMD, which this browser lacks.');
    return { backend: 'cpu', reason: 'requested (backend: cpu)' };
  }
  if (request === 'webgpu') return { backend: 'webgpu', reason: 'requested (backend: webgpu)', ctx: await gpu() };
  let ctx: GpuContext;
  try {
    ctx = await gpu();
  } catch (e) {
    if (cpuAvailable && e instanceof GpuError && (e.code === 'NO_WEBGPU' || e.code === 'NO_ADAPTER')) {
      return { backend: 'cpu', reason: e.code === 'NO_WEBGPU' ? 'WebGPU is missing in this browser' : 'WebGPU returned no adapter' };
    }
    throw e;
  }
  if (ctx.adapterInfo.isFallback && cpuAvailable) {
    const name = [ctx.adapterInfo.vendor, ctx.adapterInfo.architecture].filter(Boolean).join(' ') || 'unknown';
    return { backend: 'cpu', reason: `the only WebGPU adapter is a software fallback (${name})`, ctx };
  }
  return { backend: 'webgpu', reason: ctx.adapterInfo.isFallback ? 'software WebGPU adapter (no WebAssembly SIMD for the CPU path)' : 'WebGPU adapter', ctx };
}
