// A real HTTP file server with Range support and CORS, that tests can tell to misbehave: cut a connection in the
// middle of a body, stall, answer 200 with the whole body instead of 206, send corrupted bytes, vanish (404),
// replace the file mid-download (new ETag / Last-Modified / size), break or run on after the last byte of a
// chunked 206, answer 503 with Retry-After, crawl at a set rate, or leave out CORS headers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { open, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'cut'; afterBytes: number } // send this many body bytes, then destroy the socket
  | { kind: 'stall'; afterBytes: number; ms: number } // send some bytes, then pause
  | { kind: 'full-body' } // ignore Range, answer 200 with the whole file
  | { kind: 'wrong-content-range' } // 206 with a Content-Range that does not match the request
  | { kind: 'corrupt'; at: number } // flip the byte at this absolute file offset when it is sent
  | { kind: 'missing' } // 404
  | { kind: 'status'; code: number; retryAfter?: string } // an error answer, optionally with Retry-After
  | { kind: 'swap'; file: string } // from this request on, the path serves another file (new ETag, Last-Modified, size)
  | { kind: 'chunked-cut' } // a chunked 206: every byte of the range, then the socket closes before the last chunk
  | { kind: 'extra-bytes'; count: number } // a chunked 206 that sends this many bytes past the asked range
  | { kind: 'slow'; bytesPerSecond: number } // send the body at this rate (a straggling connection)
  | { kind: 'no-expose' } // no Access-Control-Expose-Headers: scripts cannot read Content-Range / ETag
  | { kind: 'no-cors' } // no CORS headers at all: the browser refuses the answer to the page
  | { kind: 'pass' } // answer normally (to let some requests through before the next fault)
  | { kind: 'delay'; ms: number }; // wait before answering normally

export interface RangeServer {
  readonly url: string;
  /** Maps a URL path (e.g. /model.gguf) to a local file. */
  serve(path: string, file: string): void;
  /** Faults applied to the next matching requests (each used once, in order), optionally only for `path`. */
  injectFault(fault: Fault, path?: string): void;
  clearFaults(): void;
  /** Waits this long before answering every request (optionally only for `path`); 0 turns it off. */
  setLatency(ms: number, path?: string): void;
  /** Every request seen: path, Range header, status. */
  readonly log: Array<{ path: string; range: string | undefined; status: number }>;
  close(): Promise<void>;
}

/** Waits for 'drain' or 'close', removing the other listener (no listener pile-up over a multi-GB body). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export async function startRangeServer(port = 0): Promise<RangeServer> {
  const files = new Map<string, string>();
  // Each served version of a path gets its own ETag and Last-Modified.
  const versions = new Map<string, number>();
  const faults: Array<{ fault: Fault; path?: string }> = [];
  const log: RangeServer['log'] = [];
  const latency = new Map<string | undefined, number>();

  const takeFault = (path: string): Fault | undefined => {
    const i = faults.findIndex((f) => !f.path || f.path === path);
    return i < 0 ? undefined : faults.splice(i, 1)[0].fault;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Headers', 'Range');
      res.writeHead(204).end();
      return;
    }
    const fault = takeFault(path);
    if (fault?.kind !== 'no-cors') res.setHeader('Access-Control-Allow-Origin', '*');
    if (fault?.kind !== 'no-cors' && fault?.kind !== 'no-expose') {
      res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges, ETag, Last-Modified, Retry-After');
    }
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    if (fault?.kind === 'swap') {
      files.set(path, fault.file);
      versions.set(path, (versions.get(path) ?? 0) + 1);
    }
    const file = files.get(path);
    const wait = (fault?.kind === 'delay' ? fault.ms : 0) + (latency.get(path) ?? latency.get(undefined) ?? 0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const finish = (status: number) => log.push({ path, range: req.headers.range, status });
    if (!file || fault?.kind === 'missing') {
      finish(404);
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (fault?.kind === 'status') {
      finish(fault.code);
      res.writeHead(fault.code, { 'Content-Type': 'text/plain', ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}) }).end('error');
      return;
    }
    const size = (await stat(file)).size;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
    if (m && fault?.kind !== 'full-body') {
      if (m[1] === '') {
        start = Math.max(0, size - Number(m[2]));
      } else {
        start = Number(m[1]);
        end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      }
      if (start >= size || start > end) {
        finish(416);
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
    }
    const length = end - start + 1;
    const version = versions.get(path) ?? 0;
    const chunked = fault?.kind === 'chunked-cut' || fault?.kind === 'extra-bytes';
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${size}-v${version}"`,
      'Last-Modified': new Date(Date.UTC(2025, 0, 1) + version * 86_400_000).toUTCString(),
    };
    if (!chunked) headers['Content-Length'] = length; // without it Node sends Transfer-Encoding: chunked
    if (status === 206) {
      const shown = fault?.kind === 'wrong-content-range' ? `bytes ${start + 1}-${end + 1}/${size}` : `bytes ${start}-${end}/${size}`;
      headers['Content-Range'] = shown;
    }
    finish(status);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const handle = await open(file, 'r');
    try {
      let pos = start;
      let sent = 0;
      // Small pieces when a fault must hit a precise byte; large ones otherwise (benchmarks read gigabytes).
      const bodyFault = fault?.kind === 'cut' || fault?.kind === 'stall' || fault?.kind === 'corrupt';
      const slow = fault?.kind === 'slow' ? fault.bytesPerSecond : 0;
      const chunk = Buffer.alloc(slow ? Math.max(1, Math.floor(slow / 20)) : bodyFault ? 64 * 1024 : 1024 * 1024);
      while (pos <= end) {
        if (slow) await new Promise((r) => setTimeout(r, (chunk.length / slow) * 1000));
        if (res.destroyed) return;
        let n = Math.min(chunk.length, end - pos + 1);
        if ((fault?.kind === 'cut' || fault?.kind === 'stall') && sent < fault.afterBytes) n = Math.min(n, fault.afterBytes - sent);
        const { bytesRead } = await handle.read(chunk, 0, n, pos);
        const out = Buffer.from(chunk.subarray(0, bytesRead));
        if (fault?.kind === 'corrupt' && fault.at >= pos && fault.at < pos + bytesRead) out[fault.at - pos] ^= 0xff;
        pos += bytesRead;
        sent += bytesRead;
        if (fault?.kind === 'cut' && sent >= fault.afterBytes) {
          // Let the bytes reach the client before the connection drops, as a real cut mid-body would.
          await new Promise<void>((r) => res.write(out, () => r()));
          await new Promise((r) => setTimeout(r, 50));
          res.destroy();
          return;
        }
        if (!res.write(out)) await drainOrClose(res);
        if (fault?.kind === 'stall' && sent === fault.afterBytes) await new Promise((r) => setTimeout(r, fault.ms));
        if (res.destroyed) return;
      }
      if (fault?.kind === 'extra-bytes') {
        await new Promise<void>((r) => res.write(Buffer.alloc(fault.count, 0xee), () => r()));
      }
      if (fault?.kind === 'chunked-cut') {
        // Every byte of the range is out; the terminating zero-length chunk never comes.
        await new Promise<void>((r) => res.write(Buffer.alloc(0), () => r()));
        await new Promise((r) => setTimeout(r, 50));
        res.destroy();
        return;
      }
      res.end();
    } finally {
      await handle.close();
    }
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    serve: (path, file) => void files.set(path, file),
    injectFault: (fault, path) => void faults.push({ fault, path }),
    clearFaults: () => void faults.splice(0),
    setLatency: (ms, path) => void (ms > 0 ? latency.set(path, ms) : latency.delete(path)),
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
