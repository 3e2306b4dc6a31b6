// Download faults found by chaos testing, against the real downloader with the in-memory fake server: a file that
// changes on the server mid-download, a response that breaks (or runs on) after the last byte of its range, 503
// bursts with Retry-After, a straggling connection, and CORS servers that hide headers. Timings are injected (a
// virtual clock for the retry policy), so nothing here sleeps for the minute-long outage budget.
import { describe, expect, it } from 'vitest';
import { ensureModel } from './ensure-model.js';
import { StorageError } from './errors.js';
import { fakeDownloadSetup, makeTestFile, sha256Hex as sha } from './fake-download-setup.js';
import type { FakeFault } from './fake-range-fetch.js';

const CHUNK = 16 * 1024;
const SIZE = 9 * CHUNK + 333; // 10 chunks

const makeFile = (size = SIZE, seed = 3) => makeTestFile(size, seed);
const FILE = makeFile();
const SHA = sha(FILE);
const URL_ = 'https://files.example/model.gguf';

/** A virtual clock for the retry policy: sleeping advances it at once and records the delay. */
function virtualTime() {
  let t = 1_000_000;
  const delays: number[] = [];
  return {
    delays,
    elapsed: () => t - 1_000_000,
    retry: {
      now: () => t,
      sleep: async (ms: number) => {
        delays.push(ms);
        t += ms;
        await Promise.resolve();
      },
    },
  };
}

function setup(opts: { etag?: string; lastModified?: string } = { etag: '"v1"', lastModified: 'Mon, 01 Dec 2025 10:00:00 GMT' }) {
  const clock = virtualTime();
  const { server, store, options } = fakeDownloadSetup(FILE, CHUNK, opts, { concurrency: 1, stallTimeoutMs: 2000, retry: clock.retry });
  return { server, store, clock, options };
}
const chunkOf = (range: string | null) => Math.floor(Number(/bytes=(\d+)-/.exec(range ?? 'bytes=0-')![1]) / CHUNK);
const ranges = (s: ReturnType<typeof setup>['server']) => s.log.map((r) => r.range).filter((r): r is string => r !== null);
const inverted = (r: string) => {
  const m = /bytes=(\d+)-(\d+)/.exec(r);
  return m !== null && Number(m[2]) < Number(m[1]);
};

describe('item 1: a file that changes on the server during one download', () => {
  const changes: Array<[string, Extract<FakeFault, { kind: 'swap' }>]> = [
    ['a new ETag (same size)', { kind: 'swap', file: makeFile(SIZE, 99), etag: '"v2"', lastModified: 'Mon, 01 Dec 2025 10:00:00 GMT' }],
    ['a new Last-Modified (no ETag)', { kind: 'swap', file: makeFile(SIZE, 99), lastModified: 'Tue, 02 Dec 2025 10:00:00 GMT' }],
    ['a new size', { kind: 'swap', file: makeFile(SIZE + 5000, 99), etag: '"v1"', lastModified: 'Mon, 01 Dec 2025 10:00:00 GMT' }],
  ];
  for (const [what, swap] of changes) {
    for (const known of [false, true]) {
      it(`stops at the first changed response (${what}, ${known ? 'known SHA-256' : 'no hash'}), keeps no mixed chunks, says the file changed`, async () => {
        const { server, store, options } = setup(swap.etag === undefined ? { lastModified: 'Mon, 01 Dec 2025 10:00:00 GMT' } : undefined);
        for (let i = 0; i < 4; i++) server.inject({ kind: 'pass' }); // size probe (no hash case) and the first chunks
        server.inject(swap);
        const spec = known ? { url: URL_, sha256: SHA, size: SIZE } : { url: URL_ };
        const e = await ensureModel(spec, options).catch((x) => x);
        expect(e).toBeInstanceOf(StorageError);
        expect(e.code).toBe('INTEGRITY');
        expect(e.details.reason).toBe('CHANGED_ON_SERVER');
        expect(e.message).toMatch(/changed on the server/);
        // Caught at the first changed answer: nothing after it was requested.
        expect(server.log.length).toBe(5);
        expect(store.chunks.size).toBe(0);
        expect(store.records.size).toBe(0);
        // Starting again downloads the new version whole.
        const m = await ensureModel({ url: URL_ }, options);
        expect(m.sha256).toBe(sha(swap.file));
      });
    }
  }

  it('catches a change since an earlier run by Last-Modified too, with a known SHA-256, before fetching the rest', async () => {
    const { server, store, options } = setup();
    const paused = new AbortController();
    let n = 0;
    const stopping: typeof fetch = async (i, o) => {
      if (++n === 4) paused.abort(new Error('paused'));
      return server.fetch(i, o);
    };
    const first = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...options, fetch: stopping, signal: paused.signal }).catch((x) => x);
    expect(first.code).toBe('ABORTED');
    expect(store.chunks.size).toBeGreaterThan(0);
    server.inject({ kind: 'swap', file: FILE, etag: '"v1"', lastModified: 'Wed, 03 Dec 2025 10:00:00 GMT' });
    const before = server.log.length;
    const e = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, options).catch((x) => x);
    expect(e.code).toBe('INTEGRITY');
    expect(e.details.reason).toBe('CHANGED_ON_SERVER');
    expect(server.log.length - before).toBe(1);
    expect(store.chunks.size).toBe(0);
  });
});

describe('item 2: every byte of a chunk arrived, then the response broke or ran on', () => {
  for (const fault of [{ kind: 'cut-after-end' }, { kind: 'extra-bytes', count: 700 }] as const) {
    it(`stores the chunk (${fault.kind}); never asks for an inverted range; no 416`, async () => {
      const { server, options } = setup();
      for (let i = 0; i < 3; i++) server.inject({ kind: 'pass' });
      for (let i = 0; i < 4; i++) server.inject(fault);
      const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, options);
      expect(m.verified).toBe(true);
      const asked = ranges(server);
      expect(asked.filter(inverted)).toEqual([]);
      expect(server.log.filter((r) => r.status === 416)).toEqual([]);
      expect(asked.map(chunkOf)).toEqual([...Array(10).keys()]); // each chunk exactly once
    });
  }

  it('a 416 for a range inside the file (same total) is retried, not reported as "smaller than expected"', async () => {
    const { server, options } = setup();
    server.inject({ kind: 'pass' });
    server.inject({ kind: 'status', code: 416 });
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, options);
    expect(m.verified).toBe(true);
    // A server whose file really is shorter: SIZE_MISMATCH that says so.
    const s2 = setup();
    const e = await ensureModel({ url: URL_, sha256: SHA, size: SIZE + CHUNK }, s2.options).catch((x) => x);
    expect(e.code).toBe('SIZE_MISMATCH');
    expect(e.message).toMatch(/smaller|is now/);
  });
});

describe('item 3: one retry policy for every request', () => {
  it('the size probe rides out a 503 burst, honouring Retry-After, with exponential backoff and jitter', async () => {
    const { server, clock, options } = setup();
    for (let i = 0; i < 6; i++) server.inject({ kind: 'status', code: 503, retryAfter: i === 2 ? '7' : undefined });
    const m = await ensureModel({ url: URL_ }, { ...options, retry: { ...clock.retry, random: () => 0.5 } });
    expect(m.sha256).toBe(SHA);
    expect(clock.delays).toHaveLength(6);
    expect(clock.delays[2]).toBeGreaterThanOrEqual(7000); // Retry-After: 7
    const others = clock.delays.filter((_, i) => i !== 2);
    for (let i = 1; i < others.length; i++) expect(others[i]).toBeGreaterThan(others[i - 1]); // growing
    expect(clock.delays[0]).toBeLessThan(1000); // jittered below the base delay with random() = 0.5
  });

  it('the probe and the chunk fetches give up after the same ~1 minute outage budget with NETWORK', async () => {
    for (const size of [undefined, SIZE]) {
      const { server, clock, options } = setup();
      if (size) server.inject({ kind: 'pass' }); // chunk 0 arrives, then the server stays down
      server.down = undefined;
      let calls = 0;
      const down: typeof fetch = (i, o) => (++calls > (size ? 1 : 0) ? Promise.resolve(new Response('busy', { status: 503 })) : server.fetch(i, o));
      const e = await ensureModel(size ? { url: URL_, size } : { url: URL_ }, { ...options, fetch: down }).catch((x) => x);
      expect(e.code).toBe('NETWORK');
      expect(e.message).toMatch(/503/);
      expect(clock.elapsed()).toBeGreaterThanOrEqual(30_000);
      expect(clock.elapsed()).toBeLessThanOrEqual(60_000);
    }
  });

  it('a chunk fetch honours Retry-After as the probe does', async () => {
    const { server, clock, options } = setup();
    server.inject({ kind: 'pass' });
    server.inject({ kind: 'status', code: 429, retryAfter: '12' });
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, options);
    expect(m.verified).toBe(true);
    expect(clock.delays).toEqual([12_000]);
  });

  for (const code of [404, 403, 401]) {
    it(`does not retry ${code} (probe or chunk)`, async () => {
      const { server, clock, options } = setup();
      server.inject({ kind: 'status', code });
      const e = await ensureModel({ url: URL_ }, options).catch((x) => x);
      expect(e.code).toBe('HTTP_STATUS');
      expect(server.log).toHaveLength(1);
      server.inject({ kind: 'pass' });
      server.inject({ kind: 'status', code });
      const e2 = await ensureModel({ url: URL_, size: SIZE }, options).catch((x) => x);
      expect(e2.code).toBe('HTTP_STATUS');
      expect(server.log).toHaveLength(3);
      expect(clock.delays).toEqual([]);
    });
  }

  it('does not retry a CORS failure: the server answers, but without CORS headers', async () => {
    const { server, clock, options } = setup();
    server.down = { kind: 'no-cors' };
    const e = await ensureModel({ url: URL_ }, options).catch((x) => x);
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.details.reason).toBe('CORS');
    expect(e.message).toMatch(/Access-Control-Allow-Origin/);
    expect(server.log.map((r) => r.mode ?? 'cors')).toEqual(['cors', 'no-cors']); // one try, one reachability check
    expect(clock.delays).toEqual([]);
    // A network that is really down is retried (the no-cors check fails too).
    const s2 = setup();
    s2.server.down = { kind: 'network-error' };
    const e2 = await ensureModel({ url: URL_ }, s2.options).catch((x) => x);
    expect(e2.code).toBe('NETWORK');
    expect(s2.clock.delays.length).toBeGreaterThan(2);
  });
});

describe('item 4: a straggling connection', () => {
  it('re-requests a chunk crawling at a fraction of the download rate on another connection and keeps the first to finish', async () => {
    const { server, options } = setup();
    server.inject({ kind: 'slow', bytesPerSecond: 2000 }); // chunk 0 would take 8 s
    const m = await ensureModel({ url: URL_, sha256: SHA, size: SIZE }, { ...options, concurrency: 3, straggler: { minMs: 100, pollMs: 20 } });
    expect(m.verified).toBe(true);
    const zero = server.log.filter((r) => chunkOf(r.range) === 0);
    expect(zero).toHaveLength(2);
    expect(zero[0].aborted).toBe(true); // the straggler lost the race and was cancelled
    expect(zero[1].range).toBe(`bytes=0-${CHUNK - 1}`);
  });
});

describe('item 8: a server that hides Content-Range from scripts (CORS)', () => {
  it('says to expose it (Access-Control-Expose-Headers), for the probe and for a chunk', async () => {
    const { server, options } = setup();
    server.inject({ kind: 'no-expose' });
    const e = await ensureModel({ url: URL_ }, options).catch((x) => x);
    expect(e.code).toBe('BAD_RESPONSE');
    expect(e.message).toMatch(/Access-Control-Expose-Headers: Content-Range/);
    server.down = { kind: 'no-expose' };
    const n = server.log.length;
    const e2 = await ensureModel({ url: URL_, size: SIZE }, options).catch((x) => x);
    expect(e2.code).toBe('BAD_RESPONSE');
    expect(e2.message).toMatch(/Access-Control-Expose-Headers/);
    expect(server.log.length - n).toBe(1); // not retried: the answer will not change
  });
});
