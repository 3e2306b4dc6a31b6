// ByteSource implementations over an in-memory buffer and a Blob/File (browser and Node 20).
// Both reject out-of-range reads with GgufError TRUNCATED, so callers never see short reads.
import { GgufError } from './errors.js';
import type { ByteSource } from './types.js';

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`Invalid byte range: offset ${offset}, length ${length}.`);
  }
  if (offset + length > size) {
    throw new GgufError(
      'TRUNCATED',
      `Read of ${length} bytes at offset ${offset} runs past the end of the ${size}-byte file: ` +
        `the file looks truncated — re-download it.`,
      { offset, length, size },
    );
  }
}

/** A source over bytes already in memory. Reads return copies, so callers may keep or transfer them. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read(offset: number, length: number): Promise<Uint8Array> {
      try {
        checkRange(bytes.byteLength, offset, length);
      } catch (error) {
        return Promise.reject(error);
      }
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
}

/** A source over a Blob or File: each read slices the blob, so the whole file is never loaded. */
export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      checkRange(blob.size, offset, length);
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      // A File can shrink on disk after it was picked; treat a short read like a truncated file.
      if (bytes.byteLength !== length) {
        throw new GgufError(
          'TRUNCATED',
          `Read of ${length} bytes at offset ${offset} returned ${bytes.byteLength}: the file changed or is truncated — pick it again.`,
          { offset, length, got: bytes.byteLength },
        );
      }
      return bytes;
    },
  };
}
