// End to end in Chromium: the storage module downloads a real GGUF from a real Range server into real IndexedDB,
// through every failure the issue names (cut, stall, 200 instead of 206, wrong Content-Range, corrupt bytes, 404,
// quota, reload, two tabs, eviction, offline). Each case ends in a verified model or a clear typed error, and the
// cache never holds corrupt data: every "verified" claim is checked by re-reading all bytes and hashing them.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

type Page = Harness['page'];
interface Err { name: string; code: string; message: string; details?: Record<string, unknown> }
interface Ensured { ok: boolean; modelId: string; fromCache: boolean; verified: boolean; sha256: string; persisted?: boolean; tensors?: number; error?: Err }
interface Listed { id: string; status: string; verified: boolean; storedBytes: number; size: number; chunks: { stored: number; total: number }; lastUsed: number }
interface Progress { phase: string; bytesDone: number; bytesTotal: number; rate?: number; etaSeconds?: number }

const CHUNK = 64 * 1024;
const PAGE = 'e2e/pages/storage.html';
let h: Harness;
let dir: string;
let path: string;
let SHA: string;
let SIZE: number;
let CHUNKS: number;
let otherPath: string;
let OTHER_SHA: string;

function call<T>(page: Page, name: string, ...args: unknown[]): Promise<T> {
  return page.evaluate(
    ([n, a]) => (window as unknown as { storageHarness: Record<string, (...x: unknown[]) => unknown> }).storageHarness[n as string](...(a as unknown[])),
    [name, args] as const,
  ) as Promise<T>;
}
const spec = (tag: string) => ({ url: `${h.files.url}/tiny.gguf?case=${tag}`, sha256: SHA, size: SIZE });
const idOf = (tag: string) => `url:${spec(tag).url}`;
const fast = { chunkBytes: CHUNK, concurrency: 3, stallTimeoutMs: 1500, retryDelayMs: 50, progressIntervalMs: 50 };
/** Chunks asked for since log index n (by the start of each Range), and whether a request began mid-chunk. */
const since = (n: number) =>
  h.files.log
    .slice(n)
    .filter((r) => r.path === '/tiny.gguf')
    .map((r) => {
      const start = Number(/bytes=(\d+)-/.exec(r.range ?? 'bytes=0-')![1]);
      return { chunk: Math.floor(start / CHUNK), start, status: r.status, mid: start % CHUNK !== 0 };
    });

async function waitForChunks(page: Page, id: string, n: number) {
  for (const t0 = Date.now(); Date.now() - t0 < 60_000; ) {
    if ((await call<number[]>(page, 'chunkIndices', id)).length >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never had ${n} chunks stored`);
}

async function expectVerified(page: Page, r: Ensured) {
  expect(r.error).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.verified).toBe(true);
  expect(r.sha256).toBe(SHA);
  // Re-read every byte from IndexedDB through the ByteSource: the cache really holds the file.
  const d = await call<{ ok: boolean; sha256: string }>(page, 'digest', r.modelId);
  expect(d.sha256).toBe(SHA);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-storage-'));
  path = join(dir, 'tiny.gguf');
  const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 11 });
  await writeGgufFile(path, f.spec, f.tensorData);
  const bytes = await readFile(path);
  SHA = createHash('sha256').update(bytes).digest('hex');
  SIZE = bytes.byteLength;
  CHUNKS = Math.ceil(SIZE / CHUNK);
  // Another version of the file (other weights, other size) for the server to switch to mid-download.
  otherPath = join(dir, 'other.gguf');
  const g = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q4_0), seed: 12 });
  await writeGgufFile(otherPath, g.spec, g.tensorData);
  OTHER_SHA = createHash('sha256').update(await readFile(otherPath)).digest('hex');
  h = await startHarness({ page: PAGE });
  h.files.serve('/tiny.gguf', path);
  await h.page.waitForFunction(() => document.title === 'ready');
});
afterAll(async () => h?.close());

describe('model download into IndexedDB (Chromium, real Range server)', () => {
  it('downloads in parallel chunks with progress, verifies, and loads again with no network at all', async () => {
    const n = h.files.log.length;
    await call(h.page, 'clearProgress');
    const r = await call<Ensured>(h.page, 'ensure', spec('basic'), { ...fast });
    await expectVerified(h.page, r);
    expect(r.fromCache).toBe(false);
    expect(typeof r.persisted).toBe('boolean'); // persist() answered and reported
    expect(r.tensors).toBeGreaterThan(50); // the GGUF header reads from the cache
    const req = since(n);
    expect(req.map((q) => q.chunk).sort((a, b) => a - b)).toEqual([...Array(CHUNKS).keys()]); // each chunk once
    expect(req.every((q) => q.status === 206)).toBe(true);
    const p = await call<Progress[]>(h.page, 'progress');
    expect([...new Set(p.map((e) => e.phase))]).toEqual(['checking', 'downloading', 'verifying', 'ready']);
    expect(p.filter((e) => e.phase === 'downloading').length).toBeGreaterThan(2);
    expect(p.at(-1)).toMatchObject({ phase: 'ready', bytesDone: SIZE, bytesTotal: SIZE });
    const listed = (await call<Listed[]>(h.page, 'list')).find((m) => m.id === r.modelId)!;
    expect(listed).toMatchObject({ status: 'complete', verified: true, storedBytes: SIZE, chunks: { stored: CHUNKS, total: CHUNKS } });

    // Offline: the browser has no network; the cached model opens and reads in full.
    await h.context.setOffline(true);
    try {
      const m = h.files.log.length;
      const again = await call<Ensured>(h.page, 'ensure', spec('basic'), { ...fast });
      await expectVerified(h.page, again);
      expect(again.fromCache).toBe(true);
      expect(h.files.log.length).toBe(m);
    } finally {
      await h.context.setOffline(false);
    }
  });

  it('continues a connection cut in the middle of a chunk from the byte where it broke', async () => {
    const n = h.files.log.length;
    h.files.injectFault({ kind: 'cut', afterBytes: 10_000 }, '/tiny.gguf');
    const r = await call<Ensured>(h.page, 'ensure', spec('cut'), { ...fast, concurrency: 1 });
    await expectVerified(h.page, r);
    const req = since(n);
    expect(req.filter((q) => q.mid).map((q) => q.start)).toEqual([10_000]);
    expect(req.length).toBe(CHUNKS + 1);
  });

  it('retries a stalled request after the stall timeout', async () => {
    const n = h.files.log.length;
    h.files.injectFault({ kind: 'stall', afterBytes: 1000, ms: 6000 }, '/tiny.gguf');
    const t0 = Date.now();
    const r = await call<Ensured>(h.page, 'ensure', spec('stall'), { ...fast, stallTimeoutMs: 1000 });
    await expectVerified(h.page, r);
    expect(Date.now() - t0).toBeLessThan(6000); // did not sit out the stall
    expect(since(n).filter((q) => q.mid).map((q) => q.start)).toEqual([1000]);
  });

  it('handles a 200 with the whole body instead of 206, and a wrong Content-Range', async () => {
    let n = h.files.log.length;
    h.files.injectFault({ kind: 'full-body' }, '/tiny.gguf');
    await expectVerified(h.page, await call<Ensured>(h.page, 'ensure', spec('full-body'), { ...fast }));
    const req = since(n);
    expect(req.filter((q) => q.status === 200)).toHaveLength(1);
    expect(req.length).toBeLessThanOrEqual(CHUNKS); // the whole body was used, not thrown away

    n = h.files.log.length;
    h.files.injectFault({ kind: 'wrong-content-range' }, '/tiny.gguf');
    await expectVerified(h.page, await call<Ensured>(h.page, 'ensure', spec('wrong-range'), { ...fast, concurrency: 1 }));
    expect(since(n).length).toBe(CHUNKS + 1);
  });

  it('discards corrupted bytes with a clear INTEGRITY error, then downloads a good copy', async () => {
    h.files.injectFault({ kind: 'corrupt', at: 5000 }, '/tiny.gguf');
    const bad = await call<Ensured>(h.page, 'ensure', spec('corrupt'), { ...fast });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatchObject({ name: 'StorageError', code: 'INTEGRITY' });
    expect(bad.error!.message).toMatch(/SHA-256 .* not the expected .*discarded/);
    expect((await call<Listed[]>(h.page, 'list')).some((m) => m.id === idOf('corrupt'))).toBe(false);
    expect(await call<number[]>(h.page, 'chunkIndices', idOf('corrupt'))).toEqual([]);
    await expectVerified(h.page, await call<Ensured>(h.page, 'ensure', spec('corrupt'), { ...fast }));
  });

  it('a server that vanishes (404) mid-download: clear error, stored part kept, resumes without refetching', async () => {
    for (let i = 0; i < 3; i++) h.files.injectFault({ kind: 'pass' }, '/tiny.gguf');
    h.files.injectFault({ kind: 'missing' }, '/tiny.gguf');
    const gone = await call<Ensured>(h.page, 'ensure', spec('vanish'), { ...fast, concurrency: 1 });
    expect(gone.error).toMatchObject({ code: 'HTTP_STATUS' });
    expect(gone.error!.message).toMatch(/404 \(not found\)/);
    const kept = await call<number[]>(h.page, 'chunkIndices', idOf('vanish'));
    expect(kept).toEqual([0, 1, 2]);
    expect((await call<Listed[]>(h.page, 'list')).find((m) => m.id === idOf('vanish'))).toMatchObject({ status: 'partial', verified: false });
    // Busy server (503 twice): retried, not fatal.
    h.files.injectFault({ kind: 'status', code: 503 }, '/tiny.gguf');
    h.files.injectFault({ kind: 'status', code: 503 }, '/tiny.gguf');
    const n = h.files.log.length;
    await expectVerified(h.page, await call<Ensured>(h.page, 'ensure', spec('vanish'), { ...fast, concurrency: 1 }));
    const chunks = since(n).filter((q) => q.status === 206).map((q) => q.chunk);
    expect(chunks.filter((c) => kept.includes(c))).toEqual([]);
    expect(chunks.length).toBe(CHUNKS - 3);
  });

  it('checks the quota first, and keeps stored chunks valid when the real quota runs out mid-download', async () => {
    // A fresh browser context: its own, empty storage for the same origin, so the quota below is exact.
    const context = await h.browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${h.appUrl}/${PAGE}`);
      await page.waitForFunction(() => document.title === 'ready');
      // Before downloading: the estimate (here a small one) is checked against the bytes still needed.
      const pre = await call<Ensured>(page, 'ensure', spec('quota'), { ...fast, fakeEstimate: { quota: 2_000_000, usage: 1_700_000 } });
      expect(pre.error).toMatchObject({ code: 'QUOTA' });
      expect(pre.error!.message).toMatch(/needs 1\.6 MB more, but only 300 KB are available to this site \(quota 2\.0 MB, 1\.7 MB used\)/);
      expect(await call<number[]>(page, 'chunkIndices', idOf('quota'))).toEqual([]);
      // During the download: a real quota (set through DevTools) runs out while the estimate said there was room
      // (another tab may fill the disk meanwhile). Chromium's IndexedDB write fails with QuotaExceededError.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: h.appUrl, quotaSize: 500_000 });
      const mid = await call<Ensured>(page, 'ensure', spec('quota'), { ...fast, fakeEstimate: { quota: 1e12, usage: 0 } });
      expect(mid.error).toMatchObject({ code: 'QUOTA' });
      expect(mid.error!.message).toMatch(/kept and valid/);
      const kept = await call<number[]>(page, 'chunkIndices', idOf('quota'));
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(CHUNKS);
      expect((await call<Listed[]>(page, 'list'))[0]).toMatchObject({ status: 'partial', storedBytes: kept.length * CHUNK });
      // Space is freed: the download resumes from the stored chunks and verifies.
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: h.appUrl });
      const n = h.files.log.length;
      await expectVerified(page, await call<Ensured>(page, 'ensure', spec('quota'), { ...fast }));
      expect(since(n).filter((q) => kept.includes(q.chunk))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('resumes after a page reload in the middle, never fetching a stored chunk again', async () => {
    h.files.setLatency(150, '/tiny.gguf');
    try {
      await call(h.page, 'start', 'reload', spec('reload'), { ...fast, concurrency: 2 });
      await waitForChunks(h.page, idOf('reload'), 4);
      await h.page.reload();
      await h.page.waitForFunction(() => document.title === 'ready');
    } finally {
      h.files.setLatency(0, '/tiny.gguf');
    }
    const stored = await call<number[]>(h.page, 'chunkIndices', idOf('reload'));
    expect(stored.length).toBeGreaterThanOrEqual(4);
    expect(stored.length).toBeLessThan(CHUNKS);
    const n = h.files.log.length;
    await expectVerified(h.page, await call<Ensured>(h.page, 'ensure', spec('reload'), { ...fast }));
    const after = since(n).map((q) => q.chunk);
    expect(after.filter((c) => stored.includes(c))).toEqual([]);
  });

  it('two tabs downloading the same model share one download (Web Locks); a closed tab is resumed by the other', async () => {
    const other = await h.context.newPage();
    try {
      await other.goto(`${h.appUrl}/${PAGE}`);
      await other.waitForFunction(() => document.title === 'ready');
      h.files.setLatency(40, '/tiny.gguf');
      const n = h.files.log.length;
      await call(h.page, 'start', 'tabs', spec('tabs'), { ...fast });
      await call(other, 'start', 'tabs', spec('tabs'), { ...fast });
      const [a, b] = await Promise.all([call<Ensured>(h.page, 'wait', 'tabs'), call<Ensured>(other, 'wait', 'tabs')]);
      await expectVerified(h.page, a);
      await expectVerified(other, b);
      expect([a.fromCache, b.fromCache].sort()).toEqual([false, true]);
      expect(since(n).map((q) => q.chunk).sort((x, y) => x - y)).toEqual([...Array(CHUNKS).keys()]);

      // The other tab starts a download and is closed half way; this tab takes over from its chunks.
      h.files.setLatency(150, '/tiny.gguf');
      await call(other, 'start', 'closed', spec('closed'), { ...fast, concurrency: 2 });
      await waitForChunks(h.page, idOf('closed'), 3);
      await other.close();
      h.files.setLatency(0, '/tiny.gguf');
      const stored = await call<number[]>(h.page, 'chunkIndices', idOf('closed'));
      const m = h.files.log.length;
      await expectVerified(h.page, await call<Ensured>(h.page, 'ensure', spec('closed'), { ...fast }));
      expect(since(m).filter((q) => stored.includes(q.chunk))).toEqual([]);
    } finally {
      h.files.setLatency(0, '/tiny.gguf');
      if (!other.isClosed()) await other.close();
    }
  });

  it('detects evicted chunks, fetches only those, and re-verifies', async () => {
    const id = idOf('basic');
    await call(h.page, 'dropChunks', id, [1, 7]);
    expect((await call<Listed[]>(h.page, 'list')).find((m) => m.id === id)).toMatchObject({ status: 'damaged', verified: false });
    const broken = await call<{ ok: boolean; error?: Err }>(h.page, 'digest', id);
    expect(broken.error).toMatchObject({ code: 'EVICTED' });
    expect(broken.error!.message).toMatch(/only the missing chunks/);
    const n = h.files.log.length;
    const r = await call<Ensured>(h.page, 'ensure', spec('basic'), { ...fast });
    await expectVerified(h.page, r);
    expect(since(n).map((q) => q.chunk).sort((a, b) => a - b)).toEqual([1, 7]);
  });

  it('imports a local .gguf file (file picker) into the same cache', async () => {
    await h.page.setInputFiles('#file', path);
    const r = await call<Ensured>(h.page, 'importPicked', SHA);
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ verified: true, sha256: SHA, fromCache: false });
    expect(r.tensors).toBeGreaterThan(50);
    expect((await call<{ sha256: string }>(h.page, 'digest', r.modelId)).sha256).toBe(SHA);
    expect((await call<Ensured>(h.page, 'importPicked', SHA)).fromCache).toBe(true);
  });

  it('lists, deletes one and deletes all', async () => {
    const before = await call<Listed[]>(h.page, 'list');
    expect(before.length).toBeGreaterThanOrEqual(8);
    expect(before.every((m) => m.status === 'complete' && m.verified)).toBe(true);
    expect(await call(h.page, 'remove', idOf('cut'))).toMatchObject({ ok: true, existed: true });
    expect((await call<Listed[]>(h.page, 'list')).some((m) => m.id === idOf('cut'))).toBe(false);
    expect(await call<number[]>(h.page, 'chunkIndices', idOf('cut'))).toEqual([]);
    const all = await call<{ ok: boolean; deleted: string[]; busy: string[] }>(h.page, 'removeAll');
    expect(all.ok).toBe(true);
    expect(all.busy).toEqual([]);
    expect(await call<Listed[]>(h.page, 'list')).toEqual([]);
    const gone = await call<{ error?: Err }>(h.page, 'digest', idOf('basic'));
    expect(gone.error).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('download faults in Chromium (real Range server)', () => {
  it('a file replaced on the server mid-download: stopped at the first changed answer, nothing kept, then the new version', async () => {
    h.files.serve('/swap.gguf', path);
    const url = `${h.files.url}/swap.gguf`;
    for (let i = 0; i < 4; i++) h.files.injectFault({ kind: 'pass' }, '/swap.gguf'); // probe + 3 chunks
    h.files.injectFault({ kind: 'swap', file: otherPath }, '/swap.gguf');
    const n = h.files.log.length;
    const bad = await call<Ensured>(h.page, 'ensure', { url }, { ...fast, concurrency: 1 });
    expect(bad.error).toMatchObject({ code: 'INTEGRITY', details: { reason: 'CHANGED_ON_SERVER' } });
    expect(bad.error!.message).toMatch(/changed on the server during the download/);
    expect(h.files.log.slice(n).filter((r) => r.path === '/swap.gguf')).toHaveLength(5);
    expect(await call<number[]>(h.page, 'chunkIndices', `url:${url}`)).toEqual([]);
    expect((await call<Listed[]>(h.page, 'list')).some((m) => m.id === `url:${url}`)).toBe(false);
    const again = await call<Ensured>(h.page, 'ensure', { url }, { ...fast });
    expect(again.error).toBeUndefined();
    expect(again.sha256).toBe(OTHER_SHA);
  });

  it('a straggling connection (~50 KB/s) is raced on another connection; the first to finish is kept', async () => {
    h.files.injectFault({ kind: 'slow', bytesPerSecond: 50_000 }, '/tiny.gguf'); // chunk 0: ~1.3 s alone
    const n = h.files.log.length;
    const r = await call<Ensured>(h.page, 'ensure', spec('straggler'), { ...fast, straggler: { minMs: 200, pollMs: 50 } });
    await expectVerified(h.page, r);
    const zero = since(n).filter((q) => q.chunk === 0);
    expect(zero).toHaveLength(2);
    expect(zero.every((q) => !q.mid)).toBe(true);
  });

  it('a chunked 206 cut after its last byte, and one with extra bytes after the range, are stored as they are', async () => {
    for (const fault of [{ kind: 'chunked-cut' }, { kind: 'extra-bytes', count: 999 }] as const) {
      for (let i = 0; i < 3; i++) h.files.injectFault(fault, '/tiny.gguf');
      const n = h.files.log.length;
      const r = await call<Ensured>(h.page, 'ensure', spec(fault.kind), { ...fast, concurrency: 1 });
      await expectVerified(h.page, r);
      const req = since(n);
      expect(req.filter((q) => q.status === 416)).toEqual([]);
      expect(req.map((q) => q.chunk)).toEqual([...Array(CHUNKS).keys()]); // each chunk once: nothing re-asked
    }
  });

  it('the size probe rides out a 503 burst with Retry-After; CORS faults get messages that say what to fix', async () => {
    const url = `${h.files.url}/tiny.gguf?case=probe503`;
    for (let i = 0; i < 3; i++) h.files.injectFault({ kind: 'status', code: 503, retryAfter: '1' }, '/tiny.gguf');
    const r = await call<Ensured>(h.page, 'ensure', { url }, { ...fast });
    expect(r.error).toBeUndefined();
    expect(r.sha256).toBe(SHA);

    h.files.injectFault({ kind: 'no-expose' }, '/tiny.gguf');
    const hidden = await call<Ensured>(h.page, 'ensure', { url: `${h.files.url}/tiny.gguf?case=hidden` }, { ...fast });
    expect(hidden.error).toMatchObject({ code: 'BAD_RESPONSE' });
    expect(hidden.error!.message).toMatch(/Access-Control-Expose-Headers: Content-Range/);

    h.files.injectFault({ kind: 'no-cors' }, '/tiny.gguf');
    const n = h.files.log.length;
    const refused = await call<Ensured>(h.page, 'ensure', { url: `${h.files.url}/tiny.gguf?case=nocors` }, { ...fast });
    expect(refused.error).toMatchObject({ code: 'BAD_RESPONSE', details: { reason: 'CORS' } });
    expect(refused.error!.message).toMatch(/Access-Control-Allow-Origin/);
    expect(h.files.log.length - n).toBe(2); // the refused GET and the no-cors reachability check: no retries
  });
});
