// Node-only GGUF file writer: streams the layout planned by src/gguf/writer.ts to disk one tensor at a time,
// so multi-GB fixtures and converted models never sit in memory whole.
import { open, rm } from 'node:fs/promises';
import { checkTensorData, planGguf } from '../src/gguf/writer.js';
import type { GgufWriteSpec } from '../src/gguf/writer.js';

/**
 * Writes a GGUF file to `path`. getTensorData(i) is called once per tensor, in order, and must return exactly
 * that tensor's bytes. On any error the partial file is removed. Returns the file size.
 */
export async function writeGgufFile(
  path: string,
  spec: GgufWriteSpec,
  getTensorData: (index: number) => Uint8Array | Promise<Uint8Array>,
): Promise<number> {
  const plan = planGguf(spec);
  const file = await open(path, 'w');
  try {
    let position = 0;
    const write = async (bytes: Uint8Array): Promise<void> => {
      let done = 0;
      while (done < bytes.byteLength) {
        // fs writes at most 2^31-1 bytes per call (an E4B per-layer-embedding table is 2.3 GB).
        const n = Math.min(bytes.byteLength - done, 1 << 30);
        const { bytesWritten } = await file.write(bytes, done, n, position + done);
        done += bytesWritten;
      }
      position += bytes.byteLength;
    };
    const zeros = new Uint8Array(64 * 1024);
    const padTo = async (end: number): Promise<void> => {
      while (position < end) await write(zeros.subarray(0, Math.min(zeros.byteLength, end - position)));
    };
    await write(plan.header);
    for (let i = 0; i < spec.tensors.length; i++) {
      await padTo(plan.dataOffset + plan.tensorOffsets[i]);
      const data = await getTensorData(i);
      checkTensorData(spec, plan, i, data);
      await write(data);
    }
    await padTo(plan.totalSize);
    await file.close();
    return plan.totalSize;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}
