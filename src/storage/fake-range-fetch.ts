// Test helper: a fetch() over bytes in memory that answers single-range GETs like a real server and can be told
// to misbehave like the e2e range server (cut, stall, whole body, wrong Content-Range, corrupt byte, status, a file
// that changes, a body cut or overlong after its last byte, a crawling connection, CORS faults).
// Unit tests of the downloader run on it in Node, fast; the e2e tests use a real HTTP server in Chromium.

export type FakeFault =
  | { kind: 'cut'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'full-body' }
  | { kind: 'wrong-content-range' }
  | { kind: 'corrupt'; at: number }
  /** An HTTP error; `retryAfter` is sent as the Retry-After header (seconds or an HTTP date). */
  | { kind: 'status'; code: number; retryAfter?: string }
  | { kind: 'network-error' }
  /** Answers normally (lets a request through before the next fault). */
  | { kind: 'pass' }
  /** From this request on the server holds another file (new ETag / Last-Modified / size), as a re-upload would. */
  | { kind: 'swap'; file: Uint8Array; etag?: string; lastModified?: string }
  /** Every byte of the range arrives, then the connection breaks (a chunked 206 cut before its last chunk). */
  | { kind: 'cut-after-end' }
  /** The range, then `count` bytes more than asked for. */
  | { kind: 'extra-bytes'; count: number }
  /** The body arrives at this rate (a straggling connection). */
  | { kind: 'slow'; bytesPerSecond: number }
  /** The server does not list Content-Range / ETag in Access-Control-Expose-Headers: scripts cannot see them. */
  | { kind: 'no-expose' }
  /** The server sends no CORS headers: a CORS fetch fails with a TypeError, a no-cors one gets an opaque answer. */
  | { kind: 'no-cors' };

export interface FakeRangeServer {
  readonly fetch: typeof fetch;
  /** Each request: the Range header, the answer's status (0 for a network error), whether the client aborted it. */
  readonly log: Array<{ url: string; range: string | null; status: number; mode?: string; aborted?: boolean }>;
  /** Faults for the next requests, in order (each used once). */
  inject(fault: FakeFault): void;
  /** Every request fails with this until cleared (e.g. "the server vanished"). */
  down: FakeFault | undefined;
  /** Extra files by URL path suffix (e.g. tree API JSON). */
  readonly extra: Map<string, { body: string; status?: number; headers?: Record<string, string> }>;
}

export function createFakeRangeServer(initial: Uint8Array, options: { etag?: string; lastModified?: string; piece?: number } = {}): FakeRangeServer {
  const faults: FakeFault[] = [];
  const log: FakeRangeServer['log'] = [];
  const piece = options.piece ?? 16 * 1024;
  let file = initial;
  let etag = options.etag;
  let lastModified = options.lastModified;
  const server: FakeRangeServer = {
    log,
    down: undefined,
    extra: new Map(),
    inject: (f) => void faults.push(f),
    fetch: async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      const range = headers.get('Range');
      const mode = init?.mode;
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
      for (const [suffix, r] of server.extra) {
        if (url.endsWith(suffix) || url.includes(suffix + '?')) {
          log.push({ url, range, status: r.status ?? 200 });
          return new Response(r.body, { status: r.status ?? 200, headers: r.headers });
        }
      }
      const fault = server.down ?? faults.shift();
      if (fault?.kind === 'swap') {
        file = fault.file;
        etag = fault.etag;
        lastModified = fault.lastModified;
      }
      if (fault?.kind === 'no-cors') {
        log.push({ url, range, status: 0, mode });
        if (mode === 'no-cors') return { type: 'opaque', status: 0, ok: false, headers: new Headers(), body: null } as unknown as Response;
        throw new TypeError('Failed to fetch');
      }
      if (fault?.kind === 'network-error') {
        log.push({ url, range, status: 0, mode });
        throw new TypeError('Failed to fetch');
      }
      if (fault?.kind === 'status') {
        log.push({ url, range, status: fault.code, mode });
        return new Response('error', { status: fault.code, headers: fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {} });
      }
      let start = 0;
      let end = file.byteLength - 1;
      let status = 200;
      const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
      if (m && fault?.kind !== 'full-body') {
        start = Number(m[1]);
        end = m[2] === '' ? file.byteLength - 1 : Math.min(Number(m[2]), file.byteLength - 1);
        if (start >= file.byteLength || start > end) {
          log.push({ url, range, status: 416, mode });
          return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${file.byteLength}` } });
        }
        status = 206;
      }
      const entry: FakeRangeServer['log'][number] = { url, range, status, mode };
      log.push(entry);
      const body = file.slice(start, end + 1);
      if (fault?.kind === 'corrupt' && fault.at >= start && fault.at <= end) body[fault.at - start] ^= 0xff;
      const h: Record<string, string> = { 'Content-Length': String(body.byteLength), 'Accept-Ranges': 'bytes' };
      const hidden = fault?.kind === 'no-expose';
      if (etag && !hidden) h.ETag = etag;
      if (lastModified) h['Last-Modified'] = lastModified; // CORS-safelisted: always visible
      if (status === 206 && !hidden) {
        h['Content-Range'] =
          fault?.kind === 'wrong-content-range' ? `bytes ${start + 1}-${end + 1}/${file.byteLength}` : `bytes ${start}-${end}/${file.byteLength}`;
      }
      const extra = fault?.kind === 'extra-bytes' ? fault.count : 0;
      const sending = extra ? new Uint8Array(body.byteLength + extra).fill(0xee) : body;
      if (extra) sending.set(body);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          signal?.addEventListener(
            'abort',
            () => {
              if (sent < sending.byteLength) entry.aborted = true;
              controller.error(new DOMException('aborted', 'AbortError'));
            },
            { once: true },
          );
        },
        async pull(controller) {
          if (signal?.aborted) return;
          const limit = fault?.kind === 'cut' || fault?.kind === 'stall' ? fault.afterBytes : Infinity;
          if (sent >= limit) {
            if (fault?.kind === 'cut') controller.error(new TypeError('network error: connection reset'));
            else await new Promise(() => undefined); // stall until aborted
            return;
          }
          if (sent >= sending.byteLength) {
            if (fault?.kind === 'cut-after-end') controller.error(new TypeError('network error: incomplete chunked encoding'));
            else controller.close();
            return;
          }
          const slow = fault?.kind === 'slow' ? fault.bytesPerSecond : 0;
          const n = Math.min(slow ? Math.max(1, Math.floor(slow / 50)) : piece, sending.byteLength - sent, limit - sent);
          if (slow) await new Promise((r) => setTimeout(r, (n / slow) * 1000));
          if (signal?.aborted) return;
          controller.enqueue(sending.slice(sent, sent + n));
          sent += n;
          if (!slow) await new Promise((r) => setTimeout(r, 0));
        },
      });
      return new Response(stream, { status, headers: h });
    },
  };
  return server;
}
