// A ByteSource over a cached model's chunk Blobs in IndexedDB: no network. Reads slice the Blobs, so only the
// bytes asked for are read from disk (a per-layer-embedding row reads ~7 KB, not a 16 MiB chunk).
import { GgufError } from '../gguf/errors.js';
import type { ByteSource } from '../gguf/types.js';
import { chunkRange, chunksForRange } from './chunk-plan.js';
import { StorageError } from './errors.js';

export interface CachedModelSource extends ByteSource {
  readonly modelId: string;
  readonly chunkBytes: number;
  /** SHA-256 of the stored file. */
  readonly sha256: string | undefined;
  /** The bytes matched a known SHA-256 (registry, Hub or caller). */
  readonly verified: boolean;
  /** The bytes as a Blob made of the stored chunks (nothing is read until the Blob is). */
  blob(): Blob;
}

/** Parallel chunk reads in a large read: enough to keep the disk busy without piling up memory. */
const READ_PARALLELISM = 4;

export function createCachedSource(
  info: { id: string; size: number; chunkBytes: number; sha256?: string; verified: boolean },
  blobs: ReadonlyMap<number, Blob>,
): CachedModelSource {
  const { id, size, chunkBytes } = info;
  const evicted = (index: number, why: string) =>
    new StorageError(
      'EVICTED',
      `Chunk ${index} of cached model "${id}" cannot be read (${why}); the browser may have evicted it. Call ensureModel again: only the missing chunks are downloaded.`,
      { id, chunk: index },
    );

  const readPart = async (index: number, from: number, to: number): Promise<Uint8Array> => {
    const blob = blobs.get(index);
    if (!blob || blob.size !== chunkRange(size, chunkBytes, index).length) throw evicted(index, blob ? 'wrong size' : 'missing');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await blob.slice(from, to).arrayBuffer());
    } catch (e) {
      throw evicted(index, (e as Error)?.name ?? 'read error');
    }
    if (bytes.byteLength !== to - from) throw evicted(index, 'short read');
    return bytes;
  };

  return {
    modelId: id,
    size,
    chunkBytes,
    sha256: info.sha256,
    verified: info.verified,
    blob: () => new Blob([...blobs.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b)),
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
        throw new RangeError(`Invalid byte range: offset ${offset}, length ${length}.`);
      }
      if (offset + length > size) {
        throw new GgufError('TRUNCATED', `Read of ${length} bytes at offset ${offset} runs past the end of the ${size}-byte cached model "${id}".`, {
          offset,
          length,
          size,
        });
      }
      if (length === 0) return new Uint8Array(0);
      const parts = chunksForRange(chunkBytes, offset, length);
      if (parts.length === 1) return readPart(parts[0].index, parts[0].from, parts[0].to);
      const out = new Uint8Array(length);
      let next = 0;
      const worker = async () => {
        while (next < parts.length) {
          const k = next++;
          const p = parts[k];
          const at = p.index * chunkBytes + p.from - offset;
          out.set(await readPart(p.index, p.from, p.to), at);
        }
      };
      await Promise.all(Array.from({ length: Math.min(READ_PARALLELISM, parts.length) }, worker));
      return out;
    },
  };
}
