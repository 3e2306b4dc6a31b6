import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IncrementalSha256, checkpointsSupported, sha256Hex } from './sha256-state.js';

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 8)) & 255);

describe('incremental SHA-256', () => {
  it('matches known vectors and node:crypto', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const data = bytes(1_000_003);
    expect(sha256Hex(data)).toBe(nodeSha(data));
  });

  it('gives the same digest whatever the update sizes', () => {
    const data = bytes(300_001, 3);
    for (const step of [1, 63, 64, 65, 4096, 65_536, 300_001]) {
      const h = IncrementalSha256.create();
      for (let i = 0; i < data.length; i += step) h.update(data.subarray(i, i + step));
      expect(h.digestHex()).toBe(nodeSha(data));
    }
  });

  it('saves its state at chunk boundaries and resumes from it (as after a page reload)', () => {
    expect(checkpointsSupported()).toBe(true);
    const data = bytes(5 * 65_536 + 1234, 5);
    const a = IncrementalSha256.create();
    a.update(data.subarray(0, 3 * 65_536));
    const cp = a.checkpoint()!;
    expect(cp.bytes).toBe(3 * 65_536);
    // Survives structured cloning (it is stored in IndexedDB).
    const restored = IncrementalSha256.fromCheckpoint(structuredClone(cp));
    expect(restored.bytes).toBe(3 * 65_536);
    restored.update(data.subarray(3 * 65_536));
    expect(restored.digestHex()).toBe(nodeSha(data));
  });

  it('cannot checkpoint in the middle of a block, and rejects malformed states', () => {
    const h = IncrementalSha256.create();
    h.update(bytes(100));
    expect(h.checkpoint()).toBeUndefined();
    expect(() => IncrementalSha256.fromCheckpoint({ bytes: 100, words: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow();
    expect(() => IncrementalSha256.fromCheckpoint({ bytes: 64, words: [1, 2, 3] })).toThrow();
  });
});
