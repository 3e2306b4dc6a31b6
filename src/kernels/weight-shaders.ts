// WGSL sources of the weight-reading kernels: the per-type decoder snippet (shaders/lib/weight-*.wgsl) and the
// activation-load snippet concatenated before a kernel, one KernelSource per combination (named uniquely).
import bf16 from '../../shaders/lib/weight-bf16.wgsl?raw';
import common from '../../shaders/lib/weight-common.wgsl?raw';
import f16 from '../../shaders/lib/weight-f16.wgsl?raw';
import f32 from '../../shaders/lib/weight-f32.wgsl?raw';
import q4_0 from '../../shaders/lib/weight-q4_0.wgsl?raw';
import q4_1 from '../../shaders/lib/weight-q4_1.wgsl?raw';
import kscale from '../../shaders/lib/weight-kscale.wgsl?raw';
import q4_k from '../../shaders/lib/weight-q4_k.wgsl?raw';
import q5_0 from '../../shaders/lib/weight-q5_0.wgsl?raw';
import q5_1 from '../../shaders/lib/weight-q5_1.wgsl?raw';
import q5_k from '../../shaders/lib/weight-q5_k.wgsl?raw';
import q6_k from '../../shaders/lib/weight-q6_k.wgsl?raw';
import q8_0 from '../../shaders/lib/weight-q8_0.wgsl?raw';
import loadXF32 from '../../shaders/lib/load-x-f32.wgsl?raw';
import loadXTail from '../../shaders/lib/load-x-tail.wgsl?raw';
import loadXVec4 from '../../shaders/lib/load-x-vec4.wgsl?raw';
import type { KernelSource } from '../gpu/kernel.js';
import { weightLayout } from './weight-layout.js';

// Q4_K and Q5_K share the super-block scale decoder.
const DECODERS: Record<string, string> = { f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k: q4_k + '\n' + kscale, q5_k: q5_k + '\n' + kscale, q6_k };

const cache = new Map<string, KernelSource>();

/** Extra WGSL around a weight kernel: `header` goes first (enable/diagnostic directives), `snippets` before the kernel. */
export interface KernelExtras {
  /** Names this combination in the pipeline cache (and in error messages). */
  readonly variant: string;
  readonly header?: string;
  readonly snippets?: readonly string[];
}

/**
 * The kernel `name` (code `kernel`) specialised for weight `type`; `xLoad` adds the activation loader
 * (vec4: x offsets and strides are multiples of 4; f32: any), 'none' for kernels without activations.
 */
export function weightKernelSource(
  name: string,
  kernel: string,
  type: number,
  xLoad: 'vec4' | 'f32' | 'none',
  extras?: KernelExtras,
): KernelSource {
  const decoder = weightLayout(type).shader;
  const key = `${name}:${decoder}:${xLoad}${extras ? `:${extras.variant}` : ''}`;
  let source = cache.get(key);
  if (!source) {
    const x = xLoad === 'vec4' ? loadXVec4 + '\n' + loadXTail : xLoad === 'f32' ? loadXF32 + '\n' + loadXTail : '';
    const parts = [extras?.header ?? '', common, DECODERS[decoder], x, ...(extras?.snippets ?? []), kernel];
    source = { name: key, code: parts.filter((p) => p !== '').join('\n') };
    cache.set(key, source);
  }
  return source;
}

/** Decoders that can leave codes at their bit positions, so matvec may read them SCALED (weight-common.wgsl). */
const SCALED_DECODERS = new Set(['q4_0', 'q4_1', 'q5_0', 'q5_1', 'q4_k', 'q5_k', 'q6_k']);

export function supportsScaledCodes(type: number): boolean {
  return SCALED_DECODERS.has(weightLayout(type).shader);
}
