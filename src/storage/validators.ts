// What identifies one version of a file on a server: its strong ETag, Last-Modified and total size. Every answer of
// a download is compared with the first one's (CORS-simple requests cannot send If-Match / If-Range, so the client
// compares what comes back); a difference means the file changed on the server and the bytes would mix versions.
import { StorageError } from './errors.js';
import { parseContentRange, parseUnsatisfiedRange } from './range-response.js';

export interface FileValidators {
  /** Strong ETag only (a weak one may differ between equal copies). */
  readonly etag?: string;
  readonly lastModified?: string;
  /** Total size: Content-Range of a 206, `bytes *\/N` of a 416, Content-Length of a 200. */
  readonly total?: number;
}

export function validatorsOf(response: Response): FileValidators {
  const h = response.headers;
  const etag = h.get('ETag') ?? undefined;
  let total: number | undefined;
  if (response.status === 206) total = parseContentRange(h.get('Content-Range'))?.total;
  else if (response.status === 416) total = parseUnsatisfiedRange(h.get('Content-Range'));
  else if (response.status === 200) {
    const len = h.get('Content-Length');
    total = len !== null && /^\d+$/.test(len) ? Number(len) : undefined;
  }
  return {
    etag: etag && !etag.startsWith('W/') ? etag : undefined,
    lastModified: h.get('Last-Modified') ?? undefined,
    total,
  };
}

/** The first validator both sides carry that differs, or undefined. */
export function validatorChange(before: FileValidators, after: FileValidators): { validator: string; before: string; after: string } | undefined {
  for (const [key, name] of [
    ['etag', 'ETag'],
    ['lastModified', 'Last-Modified'],
    ['total', 'size'],
  ] as const) {
    const a = before[key];
    const b = after[key];
    if (a !== undefined && b !== undefined && a !== b) return { validator: name, before: String(a), after: String(b) };
  }
  return undefined;
}

/** Validators seen so far merged with new ones (a field first seen later is kept too). */
export function mergeValidators(a: FileValidators, b: FileValidators): FileValidators {
  return { etag: a.etag ?? b.etag, lastModified: a.lastModified ?? b.lastModified, total: a.total ?? b.total };
}

/** INTEGRITY (reason CHANGED_ON_SERVER): the bytes received so far belong to another version; none are kept. */
export function fileChangedError(url: string, change: { validator: string; before: string; after: string }, since: 'download' | 'earlier'): StorageError {
  const when = since === 'download' ? 'during the download' : 'since part of it was stored';
  return new StorageError(
    'INTEGRITY',
    `The file at ${url} changed on the server ${when} (${change.validator} ${change.before} became ${change.after}). ` +
      `Its parts would mix two versions, so the download stopped and nothing of it is kept. Start the download again to get the new version ` +
      `(or pin the URL to a fixed revision).`,
    { reason: 'CHANGED_ON_SERVER', url, ...change },
  );
}
