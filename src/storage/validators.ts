// What identifies one version of a file on a server: its strong ETag, Last-Modified and total size. Every answer of
// a download is compared with the first one's (CORS-simple requests cannot send If-Match / If-Range, so the client
// compares what comes back); a difference means the file changed on the server and the bytes would mix versions.
import { StorageError, formatBytes } from './errors.js';
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

/** What AnswerValidators needs of a download: the file and the validators known before its first answer. */
export interface ValidatedDownload {
  readonly url: string;
  /** The size the download expects; the run's first answer must state this size (or none). */
  readonly size: number;
  /**
   * Validators of this run's first answer (e.g. the size probe's); every answer is compared with them. Without
   * them the first answer of this run sets them.
   */
  readonly validators?: FileValidators;
  /** Validators saved by an earlier run of this download: the first answer of this run must agree with them. */
  readonly savedValidators?: FileValidators;
  /** Called once with the validators of the run's first answer (to save them for a later run). */
  readonly onValidators?: (v: FileValidators) => void;
}

/** The per-answer check of one download run: every 200 / 206 / 416 answer against the run's first. */
export class AnswerValidators {
  // Validators of the first answer of this run; every later answer must agree.
  private first: FileValidators | undefined;

  constructor(private readonly download: ValidatedDownload) {
    this.first = download.validators;
  }

  /** Compares an answer's validators with the first answer's (this run) and the saved ones (an earlier run). */
  check(response: Response): void {
    const { url, size } = this.download;
    const v = validatorsOf(response);
    if (this.first) {
      const change = validatorChange(this.first, v);
      if (change) throw fileChangedError(url, change, 'download');
      this.first = mergeValidators(this.first, v);
      return;
    }
    const saved = this.download.savedValidators;
    const change = saved && validatorChange({ etag: saved.etag, lastModified: saved.lastModified }, v);
    if (change) throw fileChangedError(url, change, 'earlier');
    if (v.total !== undefined && v.total !== size) {
      throw new StorageError(
        'SIZE_MISMATCH',
        `${url} is now ${formatBytes(v.total)} (${v.total} bytes) but ${size} bytes were expected: the file on the server changed or the expected size is wrong. ` +
          `Update the registry entry (or delete the cached copy) and download it again.`,
        { url, expectedSize: size, serverSize: v.total },
      );
    }
    this.first = v;
    this.download.onValidators?.(v);
  }
}
