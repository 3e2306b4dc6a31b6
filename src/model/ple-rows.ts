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
  // In memory, the table is kept in row-aligned pieces of at most 256 MiB: an E4B table (2.3 GB) is larger than
  // one ArrayBuffer may be in some browsers, and one huge read would need the whole body in flight at once.
  const rowsPerPiece = Math.max(1, Math.floor((256 * 1024 * 1024) / rowBytes));
  const rows = info.dims[1];
  const pieces: Uint8Array[] = [];
  if (options.inMemory) {
    for (let r = 0; r < rows; r += rowsPerPiece) {
      const n = Math.min(rowsPerPiece, rows - r);
      pieces.push(await source.read(base + r * rowBytes, n * rowBytes));
    }
  }
  const cache = new Map<number, Float32Array>();
  const maxCached = options.cacheRows ?? 4096;

  const row = async (token: number): Promise<Float32Array> => {
    const hit = cache.get(token);
    if (hit) {
      cache.delete(token);
      cache.set(token, hit);
      return hit;
    }
    const piece = pieces[Math.floor(token / rowsPerPiece)];
    const local = token % rowsPerPiece;
    const bytes = piece
      ? piece.subarray(local * rowBytes, (local + 1) * rowBytes)
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
