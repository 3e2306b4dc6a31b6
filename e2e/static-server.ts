// A static file server for built output (dist/) with headers chosen per test: a strict CSP, COOP/COEP, CORS.
// Extra in-memory pages (a foreign host page for the embed) can be added by path.
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.webmanifest': 'application/manifest+json', '.png': 'image/png', '.svg': 'image/svg+xml', '.wgsl': 'text/plain',
};

export interface StaticServer {
  readonly url: string;
  /** Headers added to every response (replace to change them between requests). */
  headers: Record<string, string>;
  /** Serves `body` at `path` (takes precedence over files). */
  page(path: string, body: string, headers?: Record<string, string>): void;
  /** Serves another folder from now on (a "new deployment"). */
  setRoot(dir: string): void;
  readonly log: string[];
  close(): Promise<void>;
}

export async function startStaticServer(root: string, host = '127.0.0.1'): Promise<StaticServer> {
  const pages = new Map<string, { body: string; headers: Record<string, string> }>();
  const log: string[] = [];
  let dir = root;
  const state: { headers: Record<string, string> } = { headers: {} };
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    log.push(path);
    for (const [k, v] of Object.entries(state.headers)) res.setHeader(k, v);
    const extra = pages.get(path);
    if (extra) {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      for (const [k, v] of Object.entries(extra.headers)) res.setHeader(k, v);
      res.end(extra.body);
      return;
    }
    const rel = normalize(path.endsWith('/') ? `${path}index.html` : path).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, rel);
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(await readFile(file));
    } catch {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '127.0.0.1' ? '127.0.0.1' : host}:${port}`,
    get headers() {
      return state.headers;
    },
    set headers(h) {
      state.headers = h;
    },
    page: (p, body, headers = {}) => pages.set(p, { body, headers }),
    setRoot: (d) => (dir = d),
    log,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
