// The repacked-weight cache end to end over the storage layer's in-memory store (the IndexedDB one runs in
// e2e/storage-packed.e2e.test.ts): a second load copies instead of repacking and gives identical logits; a
// missing, truncated or damaged part, another layout or another file falls back to repacking (and the image is
// rewritten); a full disk leaves the model loaded and usable with no image kept; deleting the model deletes it.
import { beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIXES, SHAPES } from '../../scripts/fixtures/gemma-fixture.js';
import { buildReferenceModel } from '../../scripts/fixtures/load-fixture.js';
import { deleteModel, listModels } from '../storage/cache.js';
import { MemoryModelStore, type ModelRecord } from '../storage/model-store.js';
import { packedCacheFor } from '../storage/packed-store.js';
import { CpuForward } from './forward.js';
import { checkManifest, checksum32, packedLayoutKey, type PackedImageManifest } from './packed-image.js';

const TOKENS = [2, 105, 500, 501, 17, 494, 510, 600, 3];
const ID = 'fixture-model';

type Ref = Awaited<ReturnType<typeof buildReferenceModel>>;

function storeWithModel(ref: Ref): MemoryModelStore {
  const store = new MemoryModelStore();
  const now = Date.now();
  const record: ModelRecord = {
    schema: 2, id: ID, name: 'fixture', origin: 'file', fileName: 'fixture.gguf', size: ref.source.size, chunkBytes: ref.source.size,
    status: 'complete', verified: false, sha256: 'ab'.repeat(32), createdAt: now, updatedAt: now, lastUsed: now,
  };
  store.records.set(ID, record);
  store.chunks.set(ID, new Map([[0, new Uint8Array(1)]]));
  return store;
}

describe('packed-weight cache', () => {
  let ref: Ref;
  let fresh: Float32Array[];
  const logs: string[] = [];
  const identity = (ref: Ref) => ({ modelId: ID, size: ref.source.size, sha256: 'ab'.repeat(32) });
  // Small parts, so tensors straddle part boundaries and a damaged part hits the middle of the load.
  const cacheOf = (store: MemoryModelStore, extra = {}) => ({
    store: packedCacheFor(ID, { store, storage: { estimate: async () => ({ quota: 1e12, usage: 0 }) } })!,
    identity: identity(ref),
    partBytes: 40_000,
    log: (m: string) => logs.push(m),
    ...extra,
  });
  const load = async (store?: MemoryModelStore, extra = {}) => {
    const model = await CpuForward.load(ref.source, ref.header, ref.config, {
      contextLength: 64, chunk: 4, activations: 'f32', packedCache: store && cacheOf(store, extra),
    });
    const logits = await model.run(TOKENS, 'all');
    model.close();
    return { model, logits, cache: model.weights.packedCache };
  };

  beforeAll(async () => {
    ref = await buildReferenceModel({ shape: SHAPES.kquant, mix: REAL_MIXES['google-qat-q4_0'], seed: 81 });
    fresh = (await load()).logits;
  });

  it('first load repacks and writes the image; the second copies it (no repack) with identical logits', async () => {
    const store = storeWithModel(ref);
    const first = await load(store);
    expect(first.cache?.state).toBe('miss');
    expect(first.model.weights.repackedTensors).toBeGreaterThan(10);
    expect(await first.cache?.saved).toBe(true);
    const manifest = checkManifest(await store.packed.getManifest(ID), identity(ref)) as PackedImageManifest;
    expect(typeof manifest).toBe('object');
    expect(manifest.totalBytes).toBe(first.model.weights.packedBytes);
    expect(manifest.checksums.length).toBeGreaterThan(3);
    expect(first.logits).toEqual(fresh);

    const second = await load(store);
    expect(second.cache?.state).toBe('hit');
    expect(second.model.weights.repackedTensors).toBe(0);
    expect(second.cache?.tensorsFromCache).toBe(first.model.weights.repackedTensors);
    expect(await second.cache?.saved).toBe(false); // nothing to write
    expect(second.logits).toEqual(fresh);
    // The storage usage figures count it.
    expect((await listModels({ store }))[0].packedBytes).toBe(manifest.totalBytes);
  });

  const damages: Array<[string, (store: MemoryModelStore, m: PackedImageManifest) => void, RegExp]> = [
    ['a truncated part', (s, m) => s.packed.parts.get(ID)!.set(2, s.packed.parts.get(ID)!.get(2)!.subarray(0, m.partBytes - 16)), /part 2 holds/],
    ['a missing part', (s) => s.packed.parts.get(ID)!.delete(3), /part 3 is missing/],
    ['a flipped byte', (s) => (s.packed.parts.get(ID)!.get(1)![777] ^= 1), /part 1 is damaged/],
    ['a tensor of another shape', (s, m) => s.packed.manifests.set(ID, { ...m, tensors: m.tensors.map((t, i) => (i === 5 ? { ...t, name: 'blk.99.x.weight' } : t)) }), /not in the image/],
  ];
  it.each(damages)('%s: the load falls back to repacking, logits stay identical, the image is rewritten', async (_, damage, why) => {
    const store = storeWithModel(ref);
    await (await load(store)).cache?.saved;
    damage(store, (await store.packed.getManifest(ID)) as PackedImageManifest);
    const broken = await load(store);
    expect(broken.cache?.state).toBe('fallback');
    expect(broken.cache?.reason).toMatch(why);
    expect(broken.model.weights.repackedTensors).toBeGreaterThan(0);
    expect(broken.logits).toEqual(fresh);
    expect(logs.at(-1)).toMatch(/repacking from the model file/);
    expect(await broken.cache?.saved).toBe(true);
    const again = await load(store);
    expect(again.cache?.state).toBe('hit');
    expect(again.logits).toEqual(fresh);
  });

  const stale: Array<[string, (m: PackedImageManifest) => unknown, RegExp]> = [
    ['another layout version', (m) => ({ ...m, layout: 'v0 {}' }), /layout/],
    ['another file (sha256)', (m) => ({ ...m, identity: { ...m.identity, sha256: 'cd'.repeat(32) } }), /another file/],
    ['a bad checksum list', (m) => ({ ...m, checksums: m.checksums.slice(1) }), /part count/],
    ['garbage', () => 'not a manifest', /not a packed-image manifest/],
  ];
  it.each(stale)('a manifest for %s is not used', async (_, edit, why) => {
    const store = storeWithModel(ref);
    await (await load(store)).cache?.saved;
    store.packed.manifests.set(ID, edit((await store.packed.getManifest(ID)) as PackedImageManifest));
    const next = await load(store);
    expect(next.cache?.state).toBe('miss');
    expect(next.cache?.reason).toMatch(why);
    expect(next.logits).toEqual(fresh);
  });

  it('a quota failure while writing keeps the model loaded and usable, and no image (no manifest, no parts)', async () => {
    const store = storeWithModel(ref);
    let puts = 0;
    store.packed.beforePut = () => {
      if (++puts === 3) throw new DOMException('full', 'QuotaExceededError');
    };
    const model = await CpuForward.load(ref.source, ref.header, ref.config, { contextLength: 64, chunk: 4, activations: 'f32', packedCache: cacheOf(store) });
    expect(await model.weights.packedCache?.saved).toBe(false);
    expect(logs.at(-1)).toMatch(/Could not cache the packed CPU weights \(StorageError: The browser refused/);
    expect(await store.packed.getManifest(ID)).toBeUndefined();
    expect(await store.packed.partCount(ID)).toBe(0);
    expect(await model.run(TOKENS, 'all')).toEqual(fresh);
    model.close();
    expect(store.records.get(ID)?.status).toBe('complete'); // the model file is untouched
    expect(store.chunks.get(ID)?.size).toBe(1);
  });

  it('too little space for the image: nothing is written (QUOTA before the first part)', async () => {
    const store = storeWithModel(ref);
    const small = { store: packedCacheFor(ID, { store, storage: { estimate: async () => ({ quota: 1000, usage: 0 }) } })! };
    const first = await load(store, small);
    expect(await first.cache?.saved).toBe(false);
    expect(logs.at(-1)).toMatch(/Not enough storage for the packed CPU weights/);
    expect(store.packed.parts.get(ID)?.size ?? 0).toBe(0);
  });

  it('a model deleted while its image is written keeps no image', async () => {
    const store = storeWithModel(ref);
    store.packed.beforePut = (_, i) => {
      if (i === 1) store.records.delete(ID);
    };
    const first = await load(store);
    expect(await first.cache?.saved).toBe(false);
    expect(await store.packed.getManifest(ID)).toBeUndefined();
    expect(await store.packed.partCount(ID)).toBe(0);
  });

  it('the write waits while the caller is busy (whenIdle) and goes on when it is idle', async () => {
    const store = storeWithModel(ref);
    let idle!: () => void;
    let gate = new Promise<void>((r) => (idle = r));
    let asked = 0;
    const whenIdle = () => (asked++, gate);
    const first = await load(store, { whenIdle });
    await new Promise((r) => setTimeout(r, 50));
    expect(asked).toBe(1);
    expect(await store.packed.partCount(ID)).toBe(0); // busy: nothing written yet
    idle();
    gate = Promise.resolve();
    expect(await first.cache?.saved).toBe(true);
    expect(asked).toBe((await store.packed.partCount(ID)));
  });

  it('deleting the model deletes its image', async () => {
    const store = storeWithModel(ref);
    await (await load(store)).cache?.saved;
    expect(await store.packed.partCount(ID)).toBeGreaterThan(0);
    expect(await deleteModel(ID, { store })).toBe(true);
    expect(await store.packed.getManifest(ID)).toBeUndefined();
    expect(await store.packed.partCount(ID)).toBe(0);
    expect(await store.packed.owners()).toEqual([]);
  });

  it('layout key and checksum', () => {
    expect(packedLayoutKey()).toMatch(/^v\d+ \{"q4s":80,/);
    const a = new Uint8Array(1001).map((_, i) => i * 7);
    const b = a.slice();
    b[1000] ^= 1;
    expect(checksum32(a)).not.toBe(checksum32(b));
    expect(checksum32(a)).toBe(checksum32(a.slice()));
  });
});
