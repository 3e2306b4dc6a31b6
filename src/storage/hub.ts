// Hugging Face Hub URLs: recognise `{origin}/{owner}/{repo}/resolve/{revision}/{path}` and look up the file's
// size and SHA-256 with CORS-simple GETs: the tree API (`lfs.oid`), else the LFS pointer under `/raw/`.

export const DEFAULT_HUB_HOSTS: readonly string[] = ['huggingface.co', 'hf.co'];

export interface HubFile {
  readonly origin: string;
  /** owner/name */
  readonly repo: string;
  readonly revision: string;
  /** Path inside the repository. */
  readonly path: string;
}

export interface HubFileInfo {
  readonly size: number;
  readonly sha256?: string;
}

/** Parses a Hub download URL; undefined for other URLs (or hosts not in `hosts`). */
export function parseHubUrl(url: string, hosts: readonly string[] = DEFAULT_HUB_HOSTS): HubFile | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!hosts.includes(u.host) && !hosts.includes(u.hostname)) return undefined;
  const parts = u.pathname.split('/').filter((p) => p !== '');
  // Model repos only: /{owner}/{name}/resolve/{rev}/{path...}
  if (parts.length < 5 || parts[2] !== 'resolve') return undefined;
  return {
    origin: u.origin,
    repo: `${decodeURIComponent(parts[0])}/${decodeURIComponent(parts[1])}`,
    revision: decodeURIComponent(parts[3]),
    path: parts.slice(4).map(decodeURIComponent).join('/'),
  };
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  lfs?: { oid?: string; size?: number };
}

const isSha = (s: unknown): s is string => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);

/** Size and SHA-256 of a Hub file, or undefined when neither lookup works (offline, private repo, ...). */
export async function fetchHubFileInfo(file: HubFile, fetchFn: typeof fetch = (i, o) => fetch(i, o), signal?: AbortSignal): Promise<HubFileInfo | undefined> {
  return (await fromTree(file, fetchFn, signal).catch(() => undefined)) ?? (await fromPointer(file, fetchFn, signal).catch(() => undefined));
}

async function fromTree(file: HubFile, fetchFn: typeof fetch, signal?: AbortSignal): Promise<HubFileInfo | undefined> {
  const dir = file.path.includes('/') ? file.path.slice(0, file.path.lastIndexOf('/')) : '';
  const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  let next: string | undefined = `${file.origin}/api/models/${file.repo}/tree/${encodeURIComponent(file.revision)}${dir ? '/' + enc(dir) : ''}`;
  for (let page = 0; next && page < 20; page++) {
    const response: Response = await fetchFn(next, { signal });
    if (!response.ok) return undefined;
    const entries = (await response.json()) as TreeEntry[];
    if (!Array.isArray(entries)) return undefined;
    const hit = entries.find((e) => e.path === file.path && e.type !== 'directory');
    if (hit) {
      const size = hit.lfs?.size ?? hit.size;
      if (typeof size !== 'number') return undefined;
      return { size, sha256: isSha(hit.lfs?.oid) ? hit.lfs!.oid : undefined };
    }
    // Pagination (when the server exposes the Link header to scripts).
    const link: string | null = response.headers.get('Link');
    const m: RegExpExecArray | null = link ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
    next = m ? new URL(m[1], file.origin).href : undefined;
  }
  return undefined;
}

/** Parses a Git LFS pointer (`oid sha256:...` and `size ...`). */
export function parseLfsPointer(text: string): HubFileInfo | undefined {
  if (!text.startsWith('version https://git-lfs.github.com/spec/')) return undefined;
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1];
  const size = /^size (\d+)$/m.exec(text)?.[1];
  return size ? { size: Number(size), sha256: oid } : undefined;
}

async function fromPointer(file: HubFile, fetchFn: typeof fetch, signal?: AbortSignal): Promise<HubFileInfo | undefined> {
  const path = file.path.split('/').map(encodeURIComponent).join('/');
  const response = await fetchFn(`${file.origin}/${file.repo}/raw/${encodeURIComponent(file.revision)}/${path}`, { signal });
  if (!response.ok) return undefined;
  // A pointer is ~130 bytes; never read on into a whole model if the file is not in LFS.
  const reader = response.body?.getReader();
  if (!reader) return undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total <= 1024) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      total += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (total > 1024) return undefined;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return parseLfsPointer(new TextDecoder().decode(bytes));
}
