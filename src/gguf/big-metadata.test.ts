// Headers with legal but huge metadata arrays: big arrays stay raw bytes until read, decoding one past the
// header's memory budget is METADATA_TOO_LARGE naming the key, and what is read decodes exactly as before.
import { describe, expect, it } from 'vitest';
import { bigMetadataGguf } from '../../scripts/fixtures/big-metadata.js';
import { memorySource } from './byte-source.js';
import { GgufError } from './errors.js';
import { getF32Array, getStringArray } from './metadata.js';
import { LAZY_ARRAY_ELEMENTS, readGgufHeader } from './reader.js';
import { GgufValueType, type GgufArray } from './types.js';

const arrayOf = (header: Awaited<ReturnType<typeof readGgufHeader>>, key: string) => header.metadata.get(key)!.value as GgufArray;

describe('huge metadata arrays', () => {
  it('reads a header with a 2^24-element array without decoding it; a bad string in it is found when it is read', async () => {
    const file = bigMetadataGguf([
      { key: 'junk.bytes', elementType: GgufValueType.UINT8, count: 1 << 24 },
      { key: 'junk.strings', elementType: GgufValueType.STRING, count: 1 << 20, text: 'ab', badLastString: true },
    ]);
    const header = await readGgufHeader(memorySource(file));
    expect(header.metadata.size).toBe(3);
    const strings = arrayOf(header, 'junk.strings');
    expect(strings.elementType).toBe(GgufValueType.STRING);
    let error: unknown;
    try {
      void strings.values;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GgufError);
    expect((error as GgufError).code).toBe('BAD_STRING');
    expect((error as Error).message).toContain('junk.strings');
    expect(arrayOf(header, 'junk.bytes').elementType).toBe(GgufValueType.UINT8); // never decoded here
  });

  it('refuses to decode an array past the metadata memory budget with METADATA_TOO_LARGE naming the key', async () => {
    const file = bigMetadataGguf([
      { key: 'tokenizer.ggml.tokens', elementType: GgufValueType.STRING, count: 300_000, text: 'token' },
      { key: 'small.scores', elementType: GgufValueType.FLOAT32, count: 5000 },
    ]);
    const header = await readGgufHeader(memorySource(file), { maxMetadataMemoryBytes: 8 * 1024 * 1024 });
    expect(getF32Array(header, 'small.scores')[4999]).toBe(4999);
    try {
      getStringArray(header, 'tokenizer.ggml.tokens');
      throw new Error('decoded past the budget');
    } catch (e) {
      expect(e).toBeInstanceOf(GgufError);
      expect((e as GgufError).code).toBe('METADATA_TOO_LARGE');
      expect((e as GgufError).details.key).toBe('tokenizer.ggml.tokens');
      expect((e as Error).message).toMatch(/"tokenizer\.ggml\.tokens" holds 300000 elements/);
    }
    // Within the default budget the same array decodes, exactly.
    const ok = await readGgufHeader(memorySource(file));
    const tokens = getStringArray(ok, 'tokenizer.ggml.tokens');
    expect(tokens.length).toBe(300_000);
    expect(tokens.every((t) => t === 'token')).toBe(true);
  });

  it('a structured clone of the header (postMessage) carries decoded values of lazy arrays', async () => {
    expect(LAZY_ARRAY_ELEMENTS).toBeLessThanOrEqual(4096);
    const file = bigMetadataGguf([{ key: 'a.floats', elementType: GgufValueType.FLOAT32, count: LAZY_ARRAY_ELEMENTS + 5 }]);
    const header = await readGgufHeader(memorySource(file));
    const clone = structuredClone(header);
    const values = (clone.metadata.get('a.floats')!.value as GgufArray).values;
    expect(values.length).toBe(LAZY_ARRAY_ELEMENTS + 5);
    expect(values[LAZY_ARRAY_ELEMENTS + 4]).toBe(LAZY_ARRAY_ELEMENTS + 4);
  });
});
