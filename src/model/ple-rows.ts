// The per-layer-embedding table stays off the GPU (it is 45-60 % of an E2B file): rows are read from the GGUF
// byte source on demand, dequantized on the CPU and uploaded per step. A small LRU keeps recent rows.
import { dequantize } from '../gguf/dequantize.js';
import { ggmlTypeTraits } from '../gguf/ggml-types.js';
import type { ByteSource, GgufHeader, GgufTensorInfo } from '../gguf/types.js';

export interface PleRowSource {
  /** Row width L*P. */
  readonly width: number;
  /** Writes rows of `tokens` into out ([tokens.length, width] f32), unscaled. */
  gather(tokens: readonly number[], out: Float32Array): Promise<void>;
}

export interface PleRowOptions {
  /** Keep the whole quantized table in memory instead of reading rows from the source (fast, costs RAM). */
  readonly inMemory?: boolean;
  readonly cacheRows?: number;
}

export async function createPleRowSource(
  source: ByteSource,
  header: GgufHeader,
  info: GgufTensorInfo,
  options: PleRowOptions = {},
): Promise<PleRowSource> {
  const width = info.dims[0];
  const traits = ggmlTypeTraits(info.type)!;
  const rowBytes = (width / traits.blockSize) * traits.typeSize;
  const base = header.dataOffset + info.offset;
  const table = options.inMemory ? await source.read(base, info.byteSize) : undefined;
  const cache = new Map<number, Float32Array>();
  const maxCached = options.cacheRows ?? 4096;

  const row = async (token: number): Promise<Float32Array> => {
    const hit = cache.get(token);
    if (hit) {
      cache.delete(token);
      cache.set(token, hit);
      return hit;
    }
    const bytes = table
      ? table.subarray(token * rowBytes, (token + 1) * rowBytes)
      : await source.read(base + token * rowBytes, rowBytes);
    const values = dequantize(info.type, bytes, width, undefined, info.name);
    cache.set(token, values);
    if (cache.size > maxCached) cache.delete(cache.keys().next().value!);
    return values;
  };

  return {
    width,
    async gather(tokens, out) {
      const rows = await Promise.all(tokens.map(row));
      rows.forEach((r, i) => out.set(r, i * width));
    },
  };
}
