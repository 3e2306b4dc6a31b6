// The bump allocator past 2 GiB (E4B's packed weights are 3.4 GB): addresses stay positive and aligned, views work
// there, and asking for more than a wasm32 memory holds is a clear RangeError. Untouched pages cost no RAM.
import { describe, expect, it } from 'vitest';
import { WasmArena } from './wasm-kernels.js';

describe('WasmArena beyond 2 GiB', () => {
  it('allocates, aligns and views addresses above 2^31', () => {
    const arena = new WasmArena(false);
    arena.reserve(2 ** 31 + (1 << 20));
    const low = arena.alloc(2 ** 31 - 64 + 3); // ends just past 2 GiB, unaligned
    expect(low).toBe(64);
    const high = arena.alloc(100);
    expect(high).toBeGreaterThan(2 ** 31);
    expect(high % 16).toBe(0);
    const view = arena.u8(high, 100);
    view.fill(7);
    expect(arena.u8(high + 99, 1)[0]).toBe(7);
    expect(arena.used).toBe(high + 100);
    expect(() => arena.alloc(2 ** 32)).toThrow(/over the 4 GiB a wasm32 memory holds/);
  });
});
