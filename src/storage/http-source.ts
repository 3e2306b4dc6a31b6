// A ByteSource over HTTP: CORS-simple single-range GETs (only a Range header), size from the first response.
// Detects servers that ignore Range (200 with the whole body) or answer with a Content-Range that does not match.
import { GgufError } from '../gguf/errors.js';
import type { ByteSource } from '../gguf/types.js';

export class HttpSourceError extends Error {
  override readonly name = 'HttpSourceError';
  constructor(
    readonly code: 'HTTP_STATUS' | 'NETWORK' | 'RANGE_IGNORED' | 'BAD_CONTENT_RANGE' | 'SHORT_BODY',
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface HttpSource extends ByteSource {
  readonly url: string;
}

/** Opens `url`: one ranged GET of the first byte tells the size. */
export async function openHttpSource(url: string, fetchFn: typeof fetch = fetch): Promise<HttpSource> {
  const first = await rangedGet(fetchFn, url, 0, 0, undefined);
  const size = first.total;
  return {
    url,
    size,
    read: async (offset, length) => {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new GgufError('TRUNCATED', `Read of ${length} bytes at ${offset} is past the end of ${url} (${size} bytes).`);
      }
      if (length === 0) return new Uint8Array(0);
      return (await rangedGet(fetchFn, url, offset, offset + length - 1, size)).bytes;
    },
  };
}

async function rangedGet(
  fetchFn: typeof fetch,
  url: string,
  start: number,
  end: number,
  knownSize: number | undefined,
): Promise<{ bytes: Uint8Array; total: number }> {
  let response: Response;
  try {
    response = await fetchFn(url, { headers: { Range: `bytes=${start}-${end}` } });
  } catch (e) {
    throw new HttpSourceError('NETWORK', `Could not reach ${url}: ${(e as Error).message}. Check the address and your connection.`);
  }
  if (response.status === 200) {
    // The server ignored Range: take our slice from the whole body only when it is small enough to be sane.
    const total = Number(response.headers.get('Content-Length') ?? NaN);
    if (!Number.isFinite(total) || total > 64 * 1024 * 1024) {
      await response.body?.cancel();
      throw new HttpSourceError('RANGE_IGNORED', `${url} ignores HTTP Range requests; a multi-GB model cannot be read from it.`, { total });
    }
    const all = new Uint8Array(await response.arrayBuffer());
    return { bytes: all.slice(start, end + 1), total: all.byteLength };
  }
  if (response.status !== 206) {
    await response.body?.cancel();
    throw new HttpSourceError('HTTP_STATUS', `${url} answered HTTP ${response.status}${response.status === 404 ? ' (not found)' : ''}.`, {
      status: response.status,
    });
  }
  const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('Content-Range') ?? '');
  if (!cr || Number(cr[1]) !== start || Number(cr[2]) !== end) {
    await response.body?.cancel();
    throw new HttpSourceError('BAD_CONTENT_RANGE', `${url} answered bytes ${start}-${end} with Content-Range "${response.headers.get('Content-Range')}".`);
  }
  const total = cr[3] === '*' ? knownSize ?? NaN : Number(cr[3]);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength !== end - start + 1) {
    throw new HttpSourceError('SHORT_BODY', `${url} sent ${bytes.byteLength} of ${end - start + 1} requested bytes.`);
  }
  return { bytes, total };
}
