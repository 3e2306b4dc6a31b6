// ensureModel: makes a model complete and verified in the cache, downloading (or resuming) only what is missing,
// and hands back a ByteSource that reads from IndexedDB. A complete model is opened with no network at all.
import { chunkCount, missingChunks, normalizeChunkBytes, storedBytes } from './chunk-plan.js';
import { createCachedSource, type CachedModelSource } from './cached-source.js';
import { downloadChunks } from './downloader.js';
import { StorageError, formatBytes } from './errors.js';
import { DEFAULT_HUB_HOSTS, fetchHubFileInfo, parseHubUrl } from './hub.js';
import { idbModelStore } from './idb-store.js';
import { withModelLock } from './locks.js';
import { SCHEMA_VERSION, type ModelOrigin, type ModelRecord, type ModelStore } from './model-store.js';
import { createProgressReporter, type ProgressReporter, type StorageProgress } from './progress.js';
import { checkSpace, persistenceState, requestPersistence, type StorageManagerLike } from './quota.js';
import { CorsGate, corsError, hiddenContentRangeError } from './cors-check.js';
import type { StragglerOptions } from './downloader.js';
import { describeStatus, fileNameOf, isRetryableStatus, parseContentRange } from './range-response.js';
import { RetryClock, parseRetryAfter, resolveRetryTiming, type RetryTiming } from './retry-policy.js';
import { fileChangedError, validatorChange, validatorsOf, type FileValidators } from './validators.js';
import { modelUrl, type ModelEntry } from './registry.js';

/** A model given by URL: a Hub `resolve/` link or any server with Range support. */
export interface UrlModelSpec {
  readonly url: string;
  /** Expected SHA-256 (hex); looked up on the Hub when absent and the URL is a Hub URL. */
  readonly sha256?: string;
  /** Expected size in bytes; asked from the server when absent. */
  readonly size?: number;
  /** Cache id; default `url:` + the URL. */
  readonly id?: string;
  readonly name?: string;
}

export type ModelSpec = ModelEntry | UrlModelSpec;

export interface EnsureModelOptions {
  readonly onProgress?: (p: StorageProgress) => void;
  /** Abort to pause (stored chunks are kept; call again to resume). */
  readonly signal?: AbortSignal;
  /** Parallel range requests (default 4). */
  readonly concurrency?: number;
  /** Chunk size for a new download (default 16 MiB); a partly stored model keeps the size it was started with. */
  readonly chunkBytes?: number;
  /** Ask for persistent storage before downloading (default true). */
  readonly persist?: boolean;
  /** A request that receives nothing for this long is retried (default 30 s). */
  readonly stallTimeoutMs?: number;
  /** Failed attempts in a row before giving up, on top of the outage budget (default: the budget alone). */
  readonly maxRetries?: number;
  /** First retry delay (default 1 s, doubling, with jitter); same as retry.baseDelayMs. */
  readonly retryDelayMs?: number;
  /** The retry policy of every request (backoff, Retry-After, ~1 minute outage budget); timings injectable for tests. */
  readonly retry?: RetryTiming;
  /** When a crawling chunk is re-requested on another connection. */
  readonly straggler?: StragglerOptions;
  /** Progress events at most this often (default 200 ms). */
  readonly progressIntervalMs?: number;
  /** Look up size and SHA-256 on the Hub for Hub URLs without them (default true). */
  readonly lookupHub?: boolean;
  /** Hosts treated as the Hugging Face Hub (default huggingface.co, hf.co). */
  readonly hubHosts?: readonly string[];
  /** Where models are stored (default: the browser's IndexedDB cache). */
  readonly store?: ModelStore;
  readonly fetch?: typeof fetch;
  /** Default navigator.storage. */
  readonly storage?: StorageManagerLike;
}

export interface EnsuredModel {
  /** Reads the cached file from IndexedDB (no network). */
  readonly source: CachedModelSource;
  readonly modelId: string;
  /** Whether the origin's storage is persistent (the answer to persist(), or persisted() where persist() is unavailable). */
  readonly persisted: boolean | undefined;
  /** The model was already complete: nothing was downloaded. */
  readonly fromCache: boolean;
  readonly sha256: string;
  /** The bytes matched a known SHA-256. */
  readonly verified: boolean;
  /** Bytes downloaded by this call. */
  readonly downloadedBytes: number;
}

interface Target {
  readonly id: string;
  readonly name: string;
  readonly origin: ModelOrigin;
  readonly url: string;
  readonly registryId?: string;
  readonly fileName: string;
  readonly size?: number;
  readonly sha256?: string;
}

const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46];

export function checkGgufMagic(bytes: Uint8Array, what: string): void {
  if (bytes.byteLength < 4 || GGUF_MAGIC.some((b, i) => bytes[i] !== b)) {
    const head = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
    throw new StorageError(
      'NOT_GGUF',
      `${what} is not a GGUF model file (it starts with "${head}" instead of "GGUF"). Check that the address or file is a .gguf model.`,
      { head },
    );
  }
}

const isEntry = (spec: ModelSpec): spec is ModelEntry => 'repo' in spec && 'file' in spec && 'revision' in spec;

export function describeSpec(spec: ModelSpec): Target {
  if (isEntry(spec)) {
    return {
      id: spec.id,
      name: spec.name,
      origin: 'registry',
      url: modelUrl(spec),
      registryId: spec.id,
      fileName: spec.file.split('/').pop()!,
      size: spec.size,
      sha256: spec.sha256.toLowerCase(),
    };
  }
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new StorageError('BAD_INPUT', `"${spec.url}" is not a valid URL. Paste the full address of a .gguf file (https://...).`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new StorageError('BAD_INPUT', `Only http(s) URLs can be downloaded, got "${url.protocol}".`);
  }
  const sha = spec.sha256?.toLowerCase();
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha)) {
    throw new StorageError('BAD_INPUT', `sha256 must be 64 hex digits, got "${spec.sha256}".`);
  }
  if (spec.size !== undefined && (!Number.isSafeInteger(spec.size) || spec.size <= 0)) {
    throw new StorageError('BAD_INPUT', `size must be a positive integer, got ${spec.size}.`);
  }
  return {
    id: spec.id ?? `url:${url.href}`,
    name: spec.name ?? fileNameOf(url.href),
    origin: 'url',
    url: url.href,
    fileName: fileNameOf(url.href),
    size: spec.size,
    sha256: sha,
  };
}

/** The id ensureModel will cache a spec under. */
export function modelIdOf(spec: ModelSpec): string {
  return describeSpec(spec).id;
}

/** Wraps anything that is not already a StorageError (IndexedDB DOMExceptions, ...). */
export function asStorageError(e: unknown): unknown {
  if (e instanceof StorageError) return e;
  const err = e as { name?: string; message?: string } | undefined;
  if (err?.name === 'QuotaExceededError') {
    return new StorageError('QUOTA', `The browser refused to store more data (quota exceeded). Free space and try again.`);
  }
  if (err?.name && /^(InvalidStateError|UnknownError|DataError|NotFoundError|NotReadableError|VersionError|AbortError|TransactionInactiveError)$/.test(err.name)) {
    return new StorageError('UNAVAILABLE', `The model cache (IndexedDB) failed: ${err.name}: ${err.message ?? ''}`.trim());
  }
  return e;
}

export async function ensureModel(spec: ModelSpec, options: EnsureModelOptions = {}): Promise<EnsuredModel> {
  const target = describeSpec(spec);
  const store = options.store ?? idbModelStore();
  const progress = createProgressReporter(options.onProgress, { intervalMs: options.progressIntervalMs });
  progress.phase('checking', 0, target.size ?? 0);
  try {
    return await withModelLock(
      target.id,
      {
        signal: options.signal,
        onWait: () => progress.phase('checking', 0, target.size ?? 0, 'waiting for another tab or download of the same model'),
      },
      () => ensureLocked(target, store, progress, options),
    );
  } catch (e) {
    throw asStorageError(e);
  }
}

/** Whether a stored record is the file the caller asks for. */
function sameFile(record: ModelRecord, target: Target): boolean {
  if (target.size !== undefined && record.size !== target.size) return false;
  const known = record.expectedSha256 ?? record.sha256;
  if (target.sha256 && known && known !== target.sha256) return false;
  if (target.url !== record.url && record.origin !== 'file' && target.origin === 'url' && !target.sha256) return false;
  return true;
}

async function ensureLocked(target: Target, store: ModelStore, progress: ProgressReporter, options: EnsureModelOptions): Promise<EnsuredModel> {
  const signal = options.signal;
  const throwIfAborted = () => {
    if (signal?.aborted) throw new StorageError('ABORTED', 'Stopped before the download started.');
  };
  let record = await store.getRecord(target.id);
  if (record && !sameFile(record, target)) {
    // The entry now points at different bytes (registry updated, other URL): the old copy is useless.
    await store.deleteChunks(target.id);
    await store.deleteRecord(target.id);
    record = undefined;
  }

  if (record?.status === 'complete') {
    const damaged = damagedChunks(record, await store.chunkIndices(record.id));
    if (damaged.length === 0) {
      const now = Date.now();
      // A hash learnt later (e.g. the Hub answered this time) can promote a complete model to verified.
      const verified = record.verified || (target.sha256 !== undefined && record.sha256 === target.sha256);
      record = { ...record, verified, expectedSha256: record.expectedSha256 ?? target.sha256, lastUsed: now, updatedAt: now };
      // Best effort: a full disk must not stop a cached model from loading.
      await store.putRecord(record).catch(() => undefined);
      progress.phase('ready', record.size, record.size);
      return {
        source: createCachedSource({ ...record }, store),
        modelId: record.id,
        persisted: await persistenceState(options.storage),
        fromCache: true,
        sha256: record.sha256!,
        verified: record.verified,
        downloadedBytes: 0,
      };
    }
    // Evicted chunks: fetch only those, then re-check the whole file's hash.
    record = { ...record, status: 'partial', verified: false, sha256: undefined, hash: undefined, updatedAt: Date.now() };
    await store.putRecord(record);
  }
  throwIfAborted();

  // From here on the network is needed.
  const fetchFn = options.fetch ?? ((i: RequestInfo | URL, o?: RequestInit) => fetch(i, o));
  let size = target.size ?? record?.size;
  let sha256 = target.sha256 ?? record?.expectedSha256;
  if (target.origin === 'url' && (sha256 === undefined || size === undefined) && options.lookupHub !== false) {
    const hub = parseHubUrl(target.url, options.hubHosts ?? DEFAULT_HUB_HOSTS);
    if (hub) {
      const info = await fetchHubFileInfo(hub, fetchFn, signal);
      if (info && size !== undefined && info.size !== size) {
        throw new StorageError('SIZE_MISMATCH', `The Hub says ${hub.path} is ${info.size} bytes, but ${size} bytes were expected.`, {
          expectedSize: size,
          serverSize: info.size,
        });
      }
      size ??= info?.size;
      sha256 ??= info?.sha256;
    }
  }
  const cors = new CorsGate();
  const timing = { baseDelayMs: options.retryDelayMs, maxAttempts: options.maxRetries, ...options.retry };
  let probed: FileValidators | undefined;
  if (size === undefined) {
    probed = await probeSize(target.url, fetchFn, signal, options.stallTimeoutMs ?? 30_000, timing, cors);
    size = probed.total!;
    // The saved validators must hold for the probe too (a file replaced since part of it was stored).
    const change = record && validatorChange({ etag: record.etag, lastModified: record.lastModified }, probed);
    if (change) {
      await discard(store, target.id);
      throw fileChangedError(target.url, change, 'earlier');
    }
  }
  if (size <= 0) throw new StorageError('BAD_RESPONSE', `${target.url} is empty.`);
  throwIfAborted();

  const chunkBytes = record?.chunkBytes ?? normalizeChunkBytes(options.chunkBytes);
  const stored = record ? (await store.chunkIndices(target.id)).filter((i) => i < chunkCount(size, chunkBytes)) : [];
  const have = storedBytes(size, chunkBytes, stored);
  await checkSpace(size - have, `${target.name} (${formatBytes(size)})`, options.storage);
  const persisted = options.persist === false ? await persistenceState(options.storage) : await requestPersistence(options.storage);

  const now = Date.now();
  record = {
    schema: SCHEMA_VERSION,
    id: target.id,
    name: target.name,
    origin: target.origin,
    url: target.url,
    registryId: target.registryId,
    fileName: target.fileName,
    size,
    chunkBytes,
    expectedSha256: sha256,
    status: 'partial',
    verified: false,
    createdAt: record?.createdAt ?? now,
    updatedAt: now,
    lastUsed: now,
    hash: record?.hash,
    etag: record?.etag,
    lastModified: record?.lastModified,
  };
  await store.putRecord(record);

  // Record writes happen one after another (checkpoints, ETag), so a later write never loses an earlier one.
  let current: ModelRecord = record;
  let writes = Promise.resolve();
  const save = (patch: Partial<ModelRecord>) => {
    current = { ...current, ...patch, updatedAt: Date.now() };
    const snapshot = current;
    writes = writes.then(() => store.putRecord(snapshot));
    return writes;
  };

  const total = size;
  progress.phase('downloading', have, total);
  let downloadedBytes = 0;
  let verifying = false;
  let result;
  try {
    result = await downloadChunks({
      id: target.id,
      url: target.url,
      size,
      chunkBytes,
      store,
      fetchFn,
      stored,
      hash: record.hash,
      signal,
      concurrency: options.concurrency,
      stallTimeoutMs: options.stallTimeoutMs,
      maxRetries: options.maxRetries,
      retryDelayMs: options.retryDelayMs,
      retry: options.retry,
      straggler: options.straggler,
      cors,
      validators: probed,
      savedValidators: { etag: record.etag, lastModified: record.lastModified },
      checkFirstChunk: (bytes) => checkGgufMagic(bytes, target.url),
      onValidators: (v) => {
        if (!current.etag && !current.lastModified && (v.etag || v.lastModified)) void save({ etag: v.etag, lastModified: v.lastModified });
      },
      onCheckpoint: (cp) => save({ hash: cp }),
      onProgress: (e) => {
        downloadedBytes = e.networkBytes;
        if (e.storedBytes === total) {
          if (!verifying) {
            verifying = true;
            progress.phase('verifying', e.hashedBytes, total);
          } else progress.bytes(e.hashedBytes, total);
        } else progress.bytes(Math.min(total, e.storedBytes + e.inFlightBytes), total, e.networkBytes);
      },
    });
  } catch (e) {
    progress.flush();
    await writes.catch(() => undefined);
    if (e instanceof StorageError && e.code === 'NOT_GGUF') await discard(store, target.id);
    if (e instanceof StorageError && e.code === 'INTEGRITY') await discard(store, target.id);
    throw e;
  }
  await writes;
  if (!verifying) progress.phase('verifying', total, total);

  if (sha256 && result.sha256 !== sha256) {
    await discard(store, target.id);
    throw new StorageError(
      'INTEGRITY',
      `The downloaded file's SHA-256 is ${result.sha256}, not the expected ${sha256}: the bytes were corrupted on the way or the server's file changed. ` +
        `The ${formatBytes(size)} were discarded, nothing corrupt is cached. Try again; if it happens again, the registry entry or the server is wrong.`,
      { expected: sha256, actual: result.sha256, url: target.url },
    );
  }
  const done = Date.now();
  const complete: ModelRecord = { ...current, status: 'complete', verified: sha256 !== undefined, sha256: result.sha256, hash: undefined, updatedAt: done, lastUsed: done };
  await store.putRecord(complete);
  progress.phase('ready', size, size);
  return {
    source: createCachedSource({ ...complete }, store),
    modelId: target.id,
    persisted,
    fromCache: false,
    sha256: result.sha256,
    verified: complete.verified,
    downloadedBytes,
  };
}

async function discard(store: ModelStore, id: string): Promise<void> {
  await store.deleteChunks(id).catch(() => undefined);
  await store.deleteRecord(id).catch(() => undefined);
}

/**
 * Chunks of a record that are not stored. Keys are enough: a chunk record is written whole in one transaction,
 * and a value whose bytes the browser lost later fails on read as EVICTED (then ensureModel repairs it).
 */
export function damagedChunks(record: Pick<ModelRecord, 'size' | 'chunkBytes'>, stored: Iterable<number>): number[] {
  return missingChunks(record.size, record.chunkBytes, stored);
}

/**
 * The file size (and the validators of this first answer) from a one-byte ranged GET: Content-Range total, or
 * Content-Length of a 200. Retried under the same policy as the chunk fetches.
 */
async function probeSize(
  url: string,
  fetchFn: typeof fetch,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  timing: RetryTiming,
  cors: CorsGate,
): Promise<FileValidators & { total: number }> {
  const t = resolveRetryTiming(Object.fromEntries(Object.entries(timing).filter(([, v]) => v !== undefined)));
  const clock = new RetryClock(t);
  const never = new AbortController().signal;
  let last = '';
  for (;;) {
    const request = new AbortController();
    const stop = () => request.abort();
    signal?.addEventListener('abort', stop, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    let retryAfterMs: number | undefined;
    try {
      let response: Response;
      try {
        response = await fetchFn(url, { headers: { Range: 'bytes=0-0' }, signal: request.signal, cache: 'no-store' });
      } catch (e) {
        if (signal?.aborted) throw new StorageError('ABORTED', 'Stopped before the download started.');
        if (!timedOut && e instanceof TypeError && (await cors.refused(fetchFn, url, signal))) throw corsError(url);
        throw e;
      }
      cors.pass();
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 206) {
        if (response.headers.get('Content-Range') === null) throw hiddenContentRangeError(url);
        const cr = parseContentRange(response.headers.get('Content-Range'));
        if (cr?.total !== undefined) return { ...validatorsOf(response), total: cr.total };
        throw new StorageError('BAD_RESPONSE', `${url} did not say how large the file is (Content-Range "${response.headers.get('Content-Range')}").`);
      }
      if (response.status === 200) {
        const len = response.headers.get('Content-Length');
        if (len !== null && Number(len) > 0) return { ...validatorsOf(response), total: Number(len) };
        throw new StorageError('BAD_RESPONSE', `${url} did not say how large the file is (no Content-Length). Use a server that supports Range requests.`);
      }
      if (!isRetryableStatus(response.status)) {
        throw new StorageError('HTTP_STATUS', `${url} answered ${describeStatus(response.status)}. Check the address; retrying will not help.`, {
          url,
          status: response.status,
        });
      }
      last = describeStatus(response.status);
      retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), t.now());
    } catch (e) {
      if (e instanceof StorageError) throw e;
      if (signal?.aborted) throw new StorageError('ABORTED', 'Stopped before the download started.');
      last = timedOut ? `no answer within ${timeoutMs} ms` : (e as Error).message;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
    }
    const delay = clock.failure(retryAfterMs);
    if (delay === undefined) {
      throw new StorageError(
        'NETWORK',
        `Could not reach ${url}: ${clock.failuresInARow} attempts over ${Math.round(clock.outageMs() / 1000)} s failed (last: ${last}). Check the address and your connection.`,
        { url, lastError: last },
      );
    }
    await clock.sleep(delay, signal ?? never);
    if (signal?.aborted) throw new StorageError('ABORTED', 'Stopped before the download started.');
  }
}
