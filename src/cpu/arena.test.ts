// Addresses past 2^31 (an E2B Q4_K_M load packs 2.2 GB, E4B 3.4 GB): the arena's alignment must not go through 32-bit
// bitwise operators, and the small ops must give the same results there as at low addresses. Node only (a 2 GiB
// memory is reserved, not touched).
import { describe, expect, it } from 'vitest';
import { createRng } from '../../scripts/fixtures/rng.js';
import { CpuKernels, WasmArena } from './wasm-kernels.js';
import { WasmSmallOps } from './wasm-small-ops.js';

describe('wasm arena past 2 GiB', () => {
  it('allocates aligned positive addresses above 2^31, and attention and RMSNorm there match low addresses', async () => {
    const arena = new WasmArena(false);
    const ops = new WasmSmallOps(await CpuKernels.create(arena));
    const rng = createRng(3);
    const [heads, kvHeads, hd, cap] = [4, 2, 32, 9];
    const width = kvHeads * hd;
    const data = {
      q: Float32Array.from({ length: heads * hd }, () => rng.normal()),
      keys: Float32Array.from({ length: cap * width }, () => rng.normal()),
      values: Float32Array.from({ length: cap * width }, () => rng.normal()),
    };
    const place = () => {
      const put = (v: Float32Array) => {
        const p = arena.alloc(4 * v.length);
        arena.f32(p, v.length).set(v);
        return p;
      };
      const at = { q: put(data.q), keys: put(data.keys), values: put(data.values), out: arena.alloc(4 * heads * hd), scores: arena.alloc(4 * heads * cap), pb: arena.alloc(64) };
      ops.writeAttendParams(at.pb, { ...at, rows: 1, pos0: cap - 1, width, heads, kvHeads, headDim: hd, window: 5, scoreStride: cap });
      ops.attendHeads(at.pb, 0, heads);
      ops.rmsNormRows(at.q, at.q, heads, hd, 0, 1e-6);
      return { out: Float32Array.from(arena.f32(at.out, heads * hd)), q: Float32Array.from(arena.f32(at.q, heads * hd)), at };
    };
    const low = place();
    arena.alloc(2 ** 31 + 7);
    const high = place();
    expect(high.at.pb).toBeGreaterThan(2 ** 31);
    expect(high.at.pb % 16).toBe(0);
    expect(high.out).toEqual(low.out);
    expect(high.q).toEqual(low.q);
  });

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
