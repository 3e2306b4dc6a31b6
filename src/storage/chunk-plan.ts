// How a file is cut into chunks: fixed-size byte ranges, each stored as one IndexedDB record. Pure functions.
import { StorageError } from './errors.js';

/** Default chunk for real files: big enough that per-request and per-record overhead vanish, small enough to retry. */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
/** Chunk sizes are multiples of the SHA-256 block, so the hash state can be saved at every chunk boundary. */
export const CHUNK_ALIGN = 64;
export const MIN_CHUNK_BYTES = 4 * 1024;
export const MAX_CHUNK_BYTES = 256 * 1024 * 1024;

export interface ChunkRange {
  readonly index: number;
  /** First byte (inclusive). */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  readonly length: number;
}

/** Checks a requested chunk size and rounds it down to a multiple of 64 bytes. */
export function normalizeChunkBytes(requested: number | undefined): number {
  const n = requested ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(n) || n < MIN_CHUNK_BYTES || n > MAX_CHUNK_BYTES) {
    throw new StorageError(
      'BAD_INPUT',
      `chunkBytes must be an integer from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}, got ${String(requested)}.`,
      { chunkBytes: requested },
    );
  }
  return n - (n % CHUNK_ALIGN);
}

export function chunkCount(size: number, chunkBytes: number): number {
  return size === 0 ? 0 : Math.ceil(size / chunkBytes);
}

/** Byte range of chunk `index`. */
export function chunkRange(size: number, chunkBytes: number, index: number): ChunkRange {
  const count = chunkCount(size, chunkBytes);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`Chunk ${index} does not exist in a ${size}-byte file of ${count} chunks.`);
  }
  const start = index * chunkBytes;
  const end = Math.min(size, start + chunkBytes);
  return { index, start, end, length: end - start };
}

/** Every chunk of a file, in order. */
export function planChunks(size: number, chunkBytes: number): ChunkRange[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`Invalid file size ${size}.`);
  return Array.from({ length: chunkCount(size, chunkBytes) }, (_, i) => chunkRange(size, chunkBytes, i));
}

/** Indices of the chunks not in `stored`, ascending. */
export function missingChunks(size: number, chunkBytes: number, stored: Iterable<number>): number[] {
  const have = new Set(stored);
  const out: number[] = [];
  for (let i = 0; i < chunkCount(size, chunkBytes); i++) if (!have.has(i)) out.push(i);
  return out;
}

/** Total bytes of the chunks in `stored` (unknown indices are ignored). */
export function storedBytes(size: number, chunkBytes: number, stored: Iterable<number>): number {
  const count = chunkCount(size, chunkBytes);
  let total = 0;
  for (const i of new Set(stored)) if (Number.isInteger(i) && i >= 0 && i < count) total += chunkRange(size, chunkBytes, i).length;
  return total;
}

/** How many chunks from the start are all stored (the length of the stored prefix, in chunks). */
export function storedPrefix(stored: Iterable<number>): number {
  const have = new Set(stored);
  let n = 0;
  while (have.has(n)) n++;
  return n;
}

/** The chunks a byte range [offset, offset + length) touches, with the slice of each. */
export function chunksForRange(
  chunkBytes: number,
  offset: number,
  length: number,
): Array<{ index: number; from: number; to: number }> {
  const out: Array<{ index: number; from: number; to: number }> = [];
  let pos = offset;
  const end = offset + length;
  while (pos < end) {
    const index = Math.floor(pos / chunkBytes);
    const chunkStart = index * chunkBytes;
    const to = Math.min(end, chunkStart + chunkBytes);
    out.push({ index, from: pos - chunkStart, to: to - chunkStart });
    pos = to;
  }
  return out;
}
