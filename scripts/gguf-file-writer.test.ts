// Tests for the streaming GGUF file writer: same bytes as the in-memory writer, async tensor sources, and no
// partial file left behind on bad data.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufError } from '../src/gguf/errors.js';
import { GgmlType, GgufValueType as T } from '../src/gguf/types.js';
import { planGguf, writeGguf } from '../src/gguf/writer.js';
import type { GgufWriteSpec } from '../src/gguf/writer.js';
import { writeGgufFile } from './gguf-file-writer.js';

const dir = await mkdtemp(join(tmpdir(), 'gguf-writer-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const spec: GgufWriteSpec = {
  metadata: [
    { key: 'general.alignment', type: T.UINT32, value: 64 },
    { key: 'general.architecture', type: T.STRING, value: 'gemma4' },
  ],
  tensors: [
    { name: 'a', dims: [32, 3], type: GgmlType.Q8_0 },
    { name: 'b', dims: [5], type: GgmlType.F32 },
    { name: 'c', dims: [70000], type: GgmlType.F32 }, // bigger than one 64 KiB padding chunk
  ],
};
const data = planGguf(spec).tensorSizes.map((n, t) => Uint8Array.from({ length: n }, (_, i) => (i + t * 3) & 0xff));

describe('writeGgufFile', () => {
  it('streams the same bytes writeGguf builds, with async tensor data', async () => {
    const path = join(dir, 'a.gguf');
    const size = await writeGgufFile(path, spec, async (i) => data[i]);
    const written = new Uint8Array(await readFile(path));
    expect(size).toBe(written.byteLength);
    expect(written).toEqual(writeGguf(spec, data));
  });

  it('rejects wrong-sized data and removes the partial file', async () => {
    const path = join(dir, 'bad.gguf');
    const error = await writeGgufFile(path, spec, (i) => (i === 1 ? new Uint8Array(3) : data[i])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GgufError);
    expect((error as GgufError).code).toBe('TENSOR_SIZE_MISMATCH');
    await expect(stat(path)).rejects.toThrow();
  });
});
