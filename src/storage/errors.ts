// Typed storage errors. Each code names what went wrong; each message also says what to do about it.
// They are plain data (code, message, details) so the engine can forward them across the worker boundary.

export type StorageErrorCode =
  /** Not enough space before a download, or the browser refused a write (QuotaExceededError) during one. */
  | 'QUOTA'
  /** The downloaded or imported bytes do not hash to the expected SHA-256; the bad data was discarded. */
  | 'INTEGRITY'
  /** The server's file is not the size the registry or the caller expects. */
  | 'SIZE_MISMATCH'
  /** The network failed (after retries), or a request stalled every time it was retried. */
  | 'NETWORK'
  /** The server answered with an HTTP status that retrying will not fix (404, 403, 410, ...). */
  | 'HTTP_STATUS'
  /** The server answered in a way that cannot be used (wrong Content-Range every time, no size, ...). */
  | 'BAD_RESPONSE'
  /** The file does not start with the GGUF magic: it is not a GGUF model (an HTML page, an error body, ...). */
  | 'NOT_GGUF'
  /** The caller aborted (pause or cancel); what was stored is kept unless the caller cancelled. */
  | 'ABORTED'
  /** No cached model with that id. */
  | 'NOT_FOUND'
  /** Cached bytes are gone (browser eviction, cleared site data, missing chunks); ensureModel fetches them again. */
  | 'EVICTED'
  /** Another download of the same model (in this or another tab) holds it; try again when it finishes. */
  | 'BUSY'
  /** IndexedDB is unavailable, blocked, or was written by a newer version of the app. */
  | 'UNAVAILABLE'
  /** The caller passed something unusable (a bad URL, a bad chunk size, an empty file). */
  | 'BAD_INPUT';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): { code: StorageErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export const isStorageError = (e: unknown, code?: StorageErrorCode): e is StorageError =>
  e instanceof StorageError && (code === undefined || e.code === code);

/** True for the DOMException a browser throws when a write does not fit the origin's quota. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  const inner = (e as { inner?: unknown } | null)?.inner;
  return name === 'QuotaExceededError' || (inner !== undefined && isQuotaError(inner));
}

/** Bytes as a short human string: 1.5 GB, 320 MB, 64 KB. Decimal units, as browsers and disks show them. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}
