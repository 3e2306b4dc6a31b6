// Kernel definitions and the pipeline cache: WGSL source (a shader plus shared snippets from shaders/lib/),
// override constants for variants, one compute pipeline per (kernel, constants), built once.
import type { GpuContext } from './context.js';
import { GpuError } from './errors.js';

export interface KernelSource {
  /** Kernel name, as its shader file (shaders/NAME.wgsl). */
  readonly name: string;
  /** WGSL: the shared snippets first, then the kernel; concatenated as-is. */
  readonly code: string;
  readonly entryPoint?: string;
}

/** Something recorded into a compute pass: a pipeline, its bind group (made once) and a workgroup grid. */
export interface BoundOp {
  readonly name: string;
  encode(pass: GPUComputePassEncoder): void;
}

const modules = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();
const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** Returns the cached pipeline for `source` with `constants`; compiles it on first use (shader errors throw). */
export function getPipeline(
  ctx: GpuContext,
  source: KernelSource,
  constants: Record<string, number> = {},
): GPUComputePipeline {
  const device = ctx.device;
  let mods = modules.get(device);
  if (!mods) modules.set(device, (mods = new Map()));
  let pipes = pipelines.get(device);
  if (!pipes) pipelines.set(device, (pipes = new Map()));
  const key = source.name + '|' + source.entryPoint + '|' + JSON.stringify(Object.entries(constants).sort());
  const cached = pipes.get(key);
  if (cached) return cached;
  // Modules are keyed by their full source, so two kernels can never share a module by accident.
  let module = mods.get(source.code);
  if (!module) {
    module = device.createShaderModule({ label: source.name, code: source.code });
    mods.set(source.code, module);
  }
  const pipeline = device.createComputePipeline({
    label: source.name,
    layout: 'auto',
    compute: { module, entryPoint: source.entryPoint ?? 'main', constants },
  });
  pipes.set(key, pipeline);
  return pipeline;
}

/** Compiles a shader module and throws GpuError SHADER_ERROR with the compiler messages (for tests and probes). */
export async function checkShader(ctx: GpuContext, source: KernelSource): Promise<void> {
  const module = ctx.device.createShaderModule({ label: source.name, code: source.code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length) {
    throw new GpuError(
      'SHADER_ERROR',
      `${source.name}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`,
    );
  }
}

/** Builds a bind group for binding indices 0..n-1 of group 0 from buffers (whole-buffer or ranged). */
export function createBindGroup(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  resources: ReadonlyArray<GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number }>,
  label: string,
): GPUBindGroup {
  return ctx.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((r, binding) => ({ binding, resource: 'buffer' in r ? r : { buffer: r } })),
  });
}

/** A BoundOp for a fixed grid. */
export function fixedOp(
  name: string,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  grid: readonly [number, number?, number?],
): BoundOp {
  const [x, y = 1, z = 1] = grid;
  return {
    name,
    encode(pass) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
    },
  };
}

/** Splits `count` workgroups into an (x, y) grid within the per-dimension limit; kernels rebuild the index. */
export function grid2d(ctx: GpuContext, count: number): [number, number] {
  const max = ctx.limits.maxWorkgroupsPerDimension;
  if (count <= max) return [Math.max(1, count), 1];
  const y = Math.ceil(count / max);
  return [Math.ceil(count / y), y];
}
