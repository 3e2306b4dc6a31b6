// Test helper: a fetch() over bytes in memory that answers single-range GETs like a real server and can be told
// to misbehave like the e2e range server (cut, stall, whole body, wrong Content-Range, corrupt byte, status).
// Unit tests of the downloader run on it in Node, fast; the e2e tests use a real HTTP server in Chromium.

export type FakeFault =
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'full-body' }
  | { kind: 'wrong-content-range' }
  | { kind: 'corrupt'; at: number }
  | { kind: 'status'; code: number }
  | { kind: 'network-error' };

export interface FakeRangeServer {
  readonly fetch: typeof fetch;
  /** Each request: the Range header and the answer's status (0 for a network error). */
  readonly log: Array<{ url: string; range: string | null; status: number }>;
  /** Faults for the next requests, in order (each used once). */
  inject(fault: FakeFault): void;
  /** Every request fails with this until cleared (e.g. "the server vanished"). */
  down: FakeFault | undefined;
  /** Extra files by URL path suffix (e.g. tree API JSON). */
  readonly extra: Map<string, { body: string; status?: number; headers?: Record<string, string> }>;
}

export function createFakeRangeServer(file: Uint8Array, options: { etag?: string; piece?: number } = {}): FakeRangeServer {
  const faults: FakeFault[] = [];
  const log: FakeRangeServer['log'] = [];
  const piece = options.piece ?? 16 * 1024;
  const server: FakeRangeServer = {
    log,
    down: undefined,
    extra: new Map(),
    inject: (f) => void faults.push(f),
    fetch: async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      const range = headers.get('Range');
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
      for (const [suffix, r] of server.extra) {
        if (url.endsWith(suffix) || url.includes(suffix + '?')) {
          log.push({ url, range, status: r.status ?? 200 });
          return new Response(r.body, { status: r.status ?? 200, headers: r.headers });
        }
      }
      const fault = server.down ?? faults.shift();
      if (fault?.kind === 'network-error') {
        log.push({ url, range, status: 0 });
        throw new TypeError('Failed to fetch');
      }
      if (fault?.kind === 'status') {
        log.push({ url, range, status: fault.code });
        return new Response('error', { status: fault.code });
      }
      let start = 0;
      let end = file.byteLength - 1;
      let status = 200;
      const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
      if (m && fault?.kind !== 'full-body') {
        start = Number(m[1]);
        end = m[2] === '' ? file.byteLength - 1 : Math.min(Number(m[2]), file.byteLength - 1);
        if (start >= file.byteLength) {
          log.push({ url, range, status: 416 });
          return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${file.byteLength}` } });
        }
        status = 206;
      }
      log.push({ url, range, status });
      const body = file.slice(start, end + 1);
      if (fault?.kind === 'corrupt' && fault.at >= start && fault.at <= end) body[fault.at - start] ^= 0xff;
      const h: Record<string, string> = { 'Content-Length': String(body.byteLength), 'Accept-Ranges': 'bytes' };
      if (options.etag) h.ETag = options.etag;
      if (status === 206) {
        h['Content-Range'] =
          fault?.kind === 'wrong-content-range' ? `bytes ${start + 1}-${end + 1}/${file.byteLength}` : `bytes ${start}-${end}/${file.byteLength}`;
      }
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')), { once: true });
        },
        async pull(controller) {
          if (signal?.aborted) return;
          const limit = fault?.kind === 'cut' || fault?.kind === 'stall' ? fault.afterBytes : Infinity;
          if (sent >= limit) {
            if (fault?.kind === 'cut') controller.error(new TypeError('network error: connection reset'));
            else await new Promise(() => undefined); // stall until aborted
            return;
          }
          if (sent >= body.byteLength) {
            controller.close();
            return;
          }
          const n = Math.min(piece, body.byteLength - sent, limit - sent);
          controller.enqueue(body.slice(sent, sent + n));
          sent += n;
          await new Promise((r) => setTimeout(r, 0));
        },
      });
      return new Response(stream, { status, headers: h });
    },
  };
  return server;
}
