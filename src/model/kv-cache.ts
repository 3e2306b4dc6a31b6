// KV cache on the GPU: K and V buffers only for layers that own K/V; sliding layers keep a ring of
// window + maxChunkRows - 1 slots (enough for a whole prefill chunk), full layers one slot per context position.
import { createStorageBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import type { GemmaConfig } from './config.js';

export interface LayerKv {
  readonly k: GPUBuffer; // [capacity, numKvHeads * headDim] f32
  readonly v: GPUBuffer;
  /** Slots; position p lives in slot p % capacity. */
  readonly capacity: number;
}

export interface KvCache {
  /** Per layer: its own cache, or the source layer's for KV-shared layers. */
  readonly layers: readonly LayerKv[];
  readonly contextLength: number;
  readonly byteSize: number;
}

export function kvCapacity(config: GemmaConfig, layer: number, contextLength: number, maxChunkRows: number): number {
  const l = config.layers[layer];
  if (l.window === undefined) return contextLength;
  // Always the full ring (even above contextLength) so the kernels' ring-size invariant holds for every chunk.
  return l.window + maxChunkRows - 1;
}

export function createKvCache(ctx: GpuContext, config: GemmaConfig, contextLength: number, maxChunkRows: number): KvCache {
  const own: (LayerKv | undefined)[] = [];
  let byteSize = 0;
  for (const l of config.layers) {
    if (!l.ownsKv) {
      own.push(undefined);
      continue;
    }
    const capacity = kvCapacity(config, l.index, contextLength, maxChunkRows);
    const bytes = capacity * l.numKvHeads * l.headDim * 4;
    byteSize += 2 * bytes;
    own.push({
      k: createStorageBuffer(ctx, bytes, `kv.k.${l.index}`),
      v: createStorageBuffer(ctx, bytes, `kv.v.${l.index}`),
      capacity,
    });
  }
  return { layers: config.layers.map((l) => own[l.kvSourceLayer]!), contextLength, byteSize };
}
