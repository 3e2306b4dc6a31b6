// Reading HTTP answers to single-range GETs: Content-Range parsing and what each status means for a download.

export interface ContentRange {
  readonly start: number;
  readonly end: number; // inclusive
  /** Total size, or undefined for `*`. */
  readonly total: number | undefined;
}

/** Parses `bytes a-b/total` (or `bytes a-b/*`); undefined when absent or malformed. */
export function parseContentRange(value: string | null): ContentRange | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (end < start || (total !== undefined && end >= total)) return undefined;
  return { start, end, total };
}

/** The total size a 416 answer states (`bytes *\/total`), if any. */
export function parseUnsatisfiedRange(value: string | null): number | undefined {
  const m = /^\s*bytes\s+\*\/(\d+)\s*$/i.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Whether retrying an HTTP error status can help (server busy or failing), as opposed to a permanent answer. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

export function describeStatus(status: number): string {
  const names: Record<number, string> = {
    401: 'unauthorized: the file needs a login, which this app does not send',
    403: 'forbidden',
    404: 'not found',
    410: 'gone',
    416: 'range not satisfiable: the file is smaller than expected',
    429: 'too many requests',
    500: 'server error',
    502: 'bad gateway',
    503: 'service unavailable',
    504: 'gateway timeout',
  };
  return names[status] ? `HTTP ${status} (${names[status]})` : `HTTP ${status}`;
}

/** The last path segment of a URL, decoded (for file names shown to people). */
export function fileNameOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url;
  }
}
