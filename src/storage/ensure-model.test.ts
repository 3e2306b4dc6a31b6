// The download pipeline in Node against a fake Range server and an in-memory store: every fault ends in a
// verified model or a clear error, stored chunks are never fetched twice, and resume keeps the hash state.
import { describe, expect, it, vi } from 'vitest';
import { deleteAllModels, deleteModel, listModels, openCachedModel } from './cache.js';
import { createModelDownload } from './download-controller.js';
import { ensureModel } from './ensure-model.js';
import { StorageError } from './errors.js';
import { fakeDownloadSetup, makeTestFile, sha256Hex as sha } from './fake-download-setup.js';
import type { FakeRangeServer } from './fake-range-fetch.js';
import { importLocalFile } from './import-file.js';
import type { StorageProgress } from './progress.js';

const CHUNK = 16 * 1024;
const SIZE = 13 * CHUNK + 777; // 14 chunks, short last one
const URL_ = 'https://models.example/m.gguf';

const makeFile = (size = SIZE, seed = 7) => makeTestFile(size, seed);
const FILE = makeFile();
const SHA = sha(FILE);

function setup(file = FILE) {
  const progress: StorageProgress[] = [];
  const { server, store, options: opts } = fakeDownloadSetup(file, CHUNK, { etag: '"v1"' }, {
    concurrency: 3,
    stallTimeoutMs: 150,
    retryDelayMs: 5,
    onProgress: (p) => progress.push(p),
  });
  return { server, store, progress, opts };
}

/** The chunk index each ranged request started in, and whether it started mid-chunk. */
const requested = (s: FakeRangeServer) =>
  s.log
    .filter((r) => r.range)
    .map((r) => Number(/bytes=(\d+)-/.exec(r.range!)![1]))
    .map((start) => ({ chunk: Math.floor(start / CHUNK), mid: start % CHUNK !== 0 }));

async function readAll(source: { size: number; read(o: number, l: number): Promise<Uint8Array> }) {
  return source.read(0, source.size);
}

describe('ensureModel (fake server, memory store)', () => {
  it('downloads in parallel chunks, verifies, reports progress and reads back exactly', async () => {
    const { server, store, progress, opts } = setup();
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    expect(m.fromCache).toBe(false);
    expect(m.verified).toBe(true);
    expect(m.sha256).toBe(SHA);
    expect(m.persisted).toBe(true);
    expect(Buffer.from(await readAll(m.source)).equals(Buffer.from(FILE))).toBe(true);
    expect(await m.source.read(CHUNK - 3, 10)).toEqual(FILE.subarray(CHUNK - 3, CHUNK + 7));
    // Each chunk exactly once, with CORS-simple single ranges.
    expect(requested(server).map((r) => r.chunk).sort((a, b) => a - b)).toEqual([...Array(14).keys()]);
    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['checking', 'downloading', 'verifying', 'ready']);
    expect(progress.at(-1)).toMatchObject({ phase: 'ready', bytesDone: SIZE, bytesTotal: SIZE });
    const rec = store.records.get(m.modelId)!;
    expect(rec).toMatchObject({ status: 'complete', verified: true, sha256: SHA, etag: '"v1"' });
    expect(rec.hash).toBeUndefined();
    // Second call: from cache, no network at all.
    const before = server.log.length;
    const again = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, fetch: () => Promise.reject(new Error('offline')) });
    expect(again.fromCache).toBe(true);
    expect(server.log.length).toBe(before);
    expect(sha(await readAll(again.source))).toBe(SHA);
    // A full disk (the lastUsed update fails) does not stop a cached model from loading.
    store.putRecord = () => Promise.reject(new DOMException('full', 'QuotaExceededError'));
    expect((await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts)).fromCache).toBe(true);
  });

  it('works with every option left to its default (undefined options mean defaults)', async () => {
    const { server, store } = setup();
    const m = await ensureModel(
      { url: URL_, sha256: SHA, size: SIZE },
      { store, fetch: server.fetch, chunkBytes: CHUNK, stallTimeoutMs: undefined, concurrency: undefined, maxRetries: undefined, retryDelayMs: undefined },
    );
    expect(m.verified).toBe(true);
    expect(server.log.length).toBe(14);
  });

  it('continues a cut connection from the byte where it stopped', async () => {
    const { server, opts } = setup();
    server.inject({ kind: 'cut', afterBytes: 5000 });
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, concurrency: 1 });
    expect(m.verified).toBe(true);
    const r = requested(server);
    expect(r[0]).toEqual({ chunk: 0, mid: false });
    expect(r[1]).toEqual({ chunk: 0, mid: true }); // asked only for the rest of chunk 0
    expect(server.log[1].range).toBe(`bytes=5000-${CHUNK - 1}`);
    expect(r.length).toBe(15);
  });

  it('retries a stalled request after the stall timeout', async () => {
    const { server, opts } = setup();
    server.inject({ kind: 'stall', afterBytes: 100 });
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    expect(m.verified).toBe(true);
    expect(requested(server).filter((r) => r.mid)).toHaveLength(1);
  });

  it('retries a wrong Content-Range, and fails clearly when it never gets better', async () => {
    const { server, store, opts } = setup();
    server.inject({ kind: 'wrong-content-range' });
    expect((await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts)).verified).toBe(true);
    await deleteAllModels({ store });
    server.down = { kind: 'wrong-content-range' };
    const e = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, maxRetries: 2 }).catch((x) => x);
    expect(e).toBeInstanceOf(StorageError);
    expect(e.code).toBe('NETWORK');
    expect(e.message).toMatch(/Content-Range/);
  });

  it('uses a 200 whole-body answer: streams it once and stores every chunk nobody else is fetching', async () => {
    const { server, opts } = setup();
    server.inject({ kind: 'full-body' });
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, concurrency: 2 });
    expect(m.verified).toBe(true);
    expect(server.log.filter((r) => r.status === 200)).toHaveLength(1);
    // A server that ignores Range every time: one stream does the whole file.
    const s2 = setup();
    s2.server.down = { kind: 'full-body' };
    const m2 = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...s2.opts, concurrency: 4 });
    expect(m2.verified).toBe(true);
    expect(s2.server.log.length).toBeLessThanOrEqual(4);
  });

  it('discards corrupted bytes and says so; the next attempt succeeds', async () => {
    const { server, store, opts } = setup();
    // Every answer flips the byte at this offset when it carries it (only chunk 3's answer does).
    server.down = { kind: 'corrupt', at: 3 * CHUNK + 10 };
    const e = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts).catch((x) => x);
    expect(e.code).toBe('INTEGRITY');
    expect(e.message).toMatch(/discarded/);
    expect(e.message).toContain(SHA);
    expect(store.records.size).toBe(0);
    expect(store.chunks.size).toBe(0);
    server.down = undefined;
    expect((await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts)).verified).toBe(true);
  });

  it('reports HTTP errors and a vanished server clearly, keeping what was stored', async () => {
    const { server, store, opts } = setup();
    server.inject({ kind: 'status', code: 404 });
    const e = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, concurrency: 1 }).catch((x) => x);
    expect(e.code).toBe('HTTP_STATUS');
    expect(e.message).toMatch(/404 \(not found\)/);
    // A server that disappears half way: NETWORK after retries, the stored part stays valid and resumes.
    let calls = 0;
    const dying: typeof fetch = (i, o) => (++calls > 5 ? Promise.reject(new TypeError('Failed to fetch')) : server.fetch(i, o));
    const e2 = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, fetch: dying, concurrency: 1, maxRetries: 2 }).catch((x) => x);
    expect(e2.code).toBe('NETWORK');
    expect(e2.message).toMatch(/stored and kept/);
    const stored = await store.chunkIndices(`url:${URL_}`);
    expect(stored.length).toBeGreaterThan(0);
    const n = server.log.length;
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    expect(m.verified).toBe(true);
    const again = server.log.slice(n).map((r) => Math.floor(Number(/bytes=(\d+)-/.exec(r.range!)![1]) / CHUNK));
    expect(again.filter((c) => stored.includes(c))).toEqual([]);
  });

  it('pauses (abort) and resumes without refetching stored chunks or re-reading them for the hash', async () => {
    const { server, store, opts } = setup();
    const ac = new AbortController();
    let aborted = false;
    const p = ensureModel(
      { url: URL_, sha256: SHA, size: SIZE },
      {
        ...opts,
        concurrency: 1,
        signal: ac.signal,
        onProgress: (pr) => {
          if (!aborted && pr.phase === 'downloading' && pr.bytesDone >= 5 * CHUNK) {
            aborted = true;
            ac.abort(new Error('paused'));
          }
        },
      },
    );
    const e = await p.catch((x) => x);
    expect(e.code).toBe('ABORTED');
    expect(e.message).toMatch(/paused/);
    const id = `url:${URL_}`;
    const stored = await store.chunkIndices(id);
    expect(stored.length).toBeGreaterThanOrEqual(4);
    const rec = store.records.get(id)!;
    expect(rec.status).toBe('partial');
    expect(rec.hash!.bytes).toBe(stored.length * CHUNK); // hash state saved at the last stored chunk
    expect((await listModels({ store }))[0]).toMatchObject({ status: 'partial', verified: false, chunks: { stored: stored.length, total: 14 } });
    await expect(openCachedModel(id, { store })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const n = server.log.length;
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    expect(m.verified).toBe(true);
    const later = server.log.slice(n).map((r) => Math.floor(Number(/bytes=(\d+)-/.exec(r.range!)![1]) / CHUNK));
    expect(later.filter((c) => stored.includes(c))).toEqual([]);
    expect(later.length).toBe(14 - stored.length);
  });

  it('resumes correctly when the saved hash state is missing (re-reads the stored prefix)', async () => {
    const { store, opts } = setup();
    const id = `url:${URL_}`;
    const ac = new AbortController();
    await ensureModel(
      { url: URL_, sha256: SHA, size: SIZE },
      { ...opts, concurrency: 1, signal: ac.signal, onProgress: (p) => p.bytesDone >= 3 * CHUNK && ac.abort() },
    ).catch(() => undefined);
    const rec = store.records.get(id)!;
    store.records.set(id, { ...rec, hash: undefined });
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    expect(m.verified).toBe(true);
  });

  it('checks space first, and keeps stored chunks valid when the quota runs out mid-download', async () => {
    const { store, opts } = setup();
    const e = await ensureModel(
      { url: URL_, sha256: SHA, size: SIZE },
      { ...opts, storage: { estimate: async () => ({ quota: 100_000, usage: 40_000 }) } },
    ).catch((x) => x);
    expect(e.code).toBe('QUOTA');
    expect(e.message).toMatch(/needs 214 KB more, but only 60\.0 KB are available to this site \(quota 100 KB, 40\.0 KB used\)/);
    expect(store.records.size).toBe(0);

    let puts = 0;
    store.beforePut = () => {
      if (++puts > 4) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    const e2 = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...opts, concurrency: 1 }).catch((x) => x);
    expect(e2.code).toBe('QUOTA');
    expect(e2.message).toMatch(/kept and valid/);
    expect(await store.chunkIndices(`url:${URL_}`)).toEqual([0, 1, 2, 3]);
    store.beforePut = undefined;
    expect((await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts)).verified).toBe(true);
  });

  it('detects evicted chunks, fetches only those, and re-verifies the whole file', async () => {
    const { server, store, opts, progress } = setup();
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    await store.deleteChunks(m.modelId, [2, 9]);
    expect((await listModels({ store }))[0].status).toBe('damaged');
    await expect(openCachedModel(m.modelId, { store })).rejects.toMatchObject({ code: 'EVICTED' });
    await expect(m.source.read(2 * CHUNK, 10)).rejects.toMatchObject({ code: 'EVICTED' });
    const n = server.log.length;
    progress.length = 0;
    const again = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, opts);
    expect(again.fromCache).toBe(false);
    expect(again.verified).toBe(true);
    expect(server.log.slice(n).map((r) => r.range)).toEqual([`bytes=${2 * CHUNK}-${3 * CHUNK - 1}`, `bytes=${9 * CHUNK}-${10 * CHUNK - 1}`]);
    expect(progress.some((p) => p.phase === 'verifying')).toBe(true);
    expect((await listModels({ store }))[0]).toMatchObject({ status: 'complete', verified: true });
  });

  it('refuses a file that is not a GGUF, and a server whose file has another size', async () => {
    const html = new TextEncoder().encode('<!doctype html><html>' + 'x'.repeat(40_000));
    const { opts, store } = setup(html);
    const e = await ensureModel({ url: URL_ }, { ...opts }).catch((x) => x);
    expect(e.code).toBe('NOT_GGUF');
    expect(e.message).toMatch(/<!doctype html>/);
    expect(store.records.size).toBe(0);
    const s = setup();
    const e2 = await ensureModel({ url: URL_, size: SIZE + 1 }, s.opts).catch((x) => x);
    expect(e2.code).toBe('SIZE_MISMATCH');
  });

  it('takes size from the server and SHA-256 from the Hub tree API for a pasted Hub URL', async () => {
    const { server, opts } = setup();
    const url = 'https://huggingface.co/someone/gemma-gguf/resolve/main/sub/m.gguf';
    server.extra.set(
      '/api/models/someone/gemma-gguf/tree/main/sub',
      { body: JSON.stringify([{ type: 'file', path: 'sub/m.gguf', size: SIZE, lfs: { oid: SHA, size: SIZE } }]) },
    );
    const m = await ensureModel({ url }, opts);
    expect(m.verified).toBe(true);
    // Plain URL without any hash: downloaded, hashed, but not "verified".
    const s2 = setup();
    const m2 = await ensureModel({ url: 'https://example.org/m.gguf' }, s2.opts);
    expect(m2.verified).toBe(false);
    expect(m2.sha256).toBe(SHA);
    expect(s2.server.log[0].range).toBe('bytes=0-0'); // size probe
  });

  it('pause / resume / cancel with a download controller', async () => {
    const { store, opts } = setup();
    // Pause and cancel are triggered from progress events, not timers, so a fast machine cannot finish the
    // download before the controller acts.
    let pausing: Promise<void> | undefined;
    const d: ReturnType<typeof createModelDownload> = createModelDownload(
      { url: URL_, sha256: SHA, size: SIZE },
      {
        ...opts,
        concurrency: 1,
        onProgress: (p) => {
          if (!pausing && p.bytesDone > 3 * CHUNK) pausing = d.pause();
        },
      },
    );
    await vi.waitFor(() => expect(pausing).toBeDefined());
    await pausing;
    expect(d.state).toBe('paused');
    const kept = (await store.chunkIndices(d.modelId)).length;
    expect(kept).toBeGreaterThan(0);
    d.resume();
    const m = await d.result;
    expect(m.verified).toBe(true);

    let cancelling: Promise<void> | undefined;
    const c: ReturnType<typeof createModelDownload> = createModelDownload(
      { url: URL_ + '?2', sha256: SHA, size: SIZE },
      {
        ...opts,
        concurrency: 1,
        onProgress: (p) => {
          if (!cancelling && p.bytesDone > 0) cancelling = c.cancel();
        },
      },
    );
    await vi.waitFor(() => expect(cancelling).toBeDefined());
    await cancelling;
    await expect(c.result).rejects.toMatchObject({ code: 'ABORTED' });
    expect(store.records.has(c.modelId)).toBe(false);
    expect(await store.chunkIndices(c.modelId)).toEqual([]);
  });

  it('imports a local File into the same cache, hashed, and refuses a non-GGUF file', async () => {
    const { store } = setup();
    const file = new File([FILE], 'local.gguf', { lastModified: 1 });
    const m = await importLocalFile(file, { store, chunkBytes: CHUNK, sha256: SHA });
    expect(m.verified).toBe(true);
    expect(sha(await readAll(m.source))).toBe(SHA);
    expect((await listModels({ store }))[0]).toMatchObject({ origin: 'file', status: 'complete', fileName: 'local.gguf' });
    expect((await importLocalFile(file, { store })).fromCache).toBe(true);
    const bad = new File([new TextEncoder().encode('hello world, not a model')], 'x.gguf');
    await expect(importLocalFile(bad, { store, chunkBytes: CHUNK })).rejects.toMatchObject({ code: 'NOT_GGUF' });
    expect(await deleteModel(m.modelId, { store })).toBe(true);
    expect(await deleteModel(m.modelId, { store })).toBe(false);
    expect(await listModels({ store })).toEqual([]);
  });
});
