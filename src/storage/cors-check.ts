// Telling a CORS refusal from a dead network: both make fetch() throw the same TypeError. A no-cors GET of the
// same URL succeeds (with an opaque answer) only when the server is reachable, so then the refusal was CORS and
// retrying will not help. Checked once per download, and only before any answer passed CORS.
import { StorageError } from './errors.js';

/** Whether `url` answers a no-cors request (the transfer is stopped as soon as the answer arrives). */
export async function answersWithoutCors(fetchFn: typeof fetch, url: string, signal?: AbortSignal): Promise<boolean> {
  const request = new AbortController();
  const stop = () => request.abort();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const response = await fetchFn(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit', signal: request.signal });
    return response.type === 'opaque' || response.status > 0;
  } catch {
    return false;
  } finally {
    request.abort(); // an opaque body cannot be read anyway: do not download it
    signal?.removeEventListener('abort', stop);
  }
}

export function corsError(url: string): StorageError {
  return new StorageError(
    'BAD_RESPONSE',
    `${url} answers, but not to scripts of other sites: it sends no Access-Control-Allow-Origin header (CORS), so the browser ` +
      `hides its answers. Retrying will not help: use a server that allows CORS (the Hugging Face Hub does), or download the file and import it.`,
    { url, reason: 'CORS' },
  );
}

export function hiddenContentRangeError(url: string): StorageError {
  return new StorageError(
    'BAD_RESPONSE',
    `${url} answered a range request (206) but does not let scripts read its Content-Range header: the server must send ` +
      `"Access-Control-Expose-Headers: Content-Range, Content-Length, ETag" for a cross-origin download. Retrying will not help.`,
    { url, reason: 'CONTENT_RANGE_NOT_EXPOSED' },
  );
}

/** One check per download: after the first answer that passed CORS, a TypeError is the network's fault. */
export class CorsGate {
  private passed = false;
  private checked = false;

  /** An answer arrived: CORS works for this server. */
  pass(): void {
    this.passed = true;
  }

  /** After a fetch() TypeError: true when it was a CORS refusal (checked at most once). */
  async refused(fetchFn: typeof fetch, url: string, signal?: AbortSignal): Promise<boolean> {
    if (this.passed || this.checked) return false;
    this.checked = true;
    return answersWithoutCors(fetchFn, url, signal);
  }
}
