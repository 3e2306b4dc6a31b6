// A real HTTP file server with Range support and CORS, that tests can tell to misbehave: cut a connection in the
// middle of a body, stall, answer 200 with the whole body instead of 206, send corrupted bytes, or vanish (404).
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
  | { kind: 'status'; code: number }
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
  const faults: Array<{ fault: Fault; path?: string }> = [];
  const log: RangeServer['log'] = [];
  const latency = new Map<string | undefined, number>();

  const takeFault = (path: string): Fault | undefined => {
    const i = faults.findIndex((f) => !f.path || f.path === path);
    return i < 0 ? undefined : faults.splice(i, 1)[0].fault;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, Accept-Ranges, ETag');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const file = files.get(path);
    const fault = takeFault(path);
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
      res.writeHead(fault.code, { 'Content-Type': 'text/plain' }).end('error');
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
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Content-Length': length,
      'Accept-Ranges': 'bytes',
      ETag: `"${size}"`,
    };
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
      const chunk = Buffer.alloc(bodyFault ? 64 * 1024 : 1024 * 1024);
      while (pos <= end) {
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
