// A ByteSource over a local file (Node only), so multi-GB GGUFs are read by range, never whole.
import { open, type FileHandle } from 'node:fs/promises';
import { GgufError } from '../src/gguf/errors.js';
import type { ByteSource } from '../src/gguf/types.js';

export interface NodeFileSource extends ByteSource {
  close(): Promise<void>;
}

export async function openFileSource(path: string): Promise<NodeFileSource> {
  const handle: FileHandle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new GgufError('TRUNCATED', `Read of ${length} bytes at ${offset} is past the end of ${path} (${size} bytes).`, {
          offset,
          length,
          size,
        });
      }
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, Math.min(length - done, 1 << 30), offset + done); // fs caps a read at 2^31-1
        if (bytesRead === 0) throw new GgufError('TRUNCATED', `${path} ended early at ${offset + done}.`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}
