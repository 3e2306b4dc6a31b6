// Downloads the missing chunks of one file into a ModelStore with several CORS-simple single-range GETs in
// parallel, and hashes the whole file with an incremental SHA-256 as the stored prefix grows (no second pass).
// Survives cut connections (keeps the bytes received and asks for the rest), stalls (timeout, retry), wrong
// Content-Range (retry), and servers that answer a Range request with 200 and the whole body (one worker then
// streams the body once and stores every chunk it passes that nobody else is fetching).
import { chunkCount, chunkRange, type ChunkRange } from './chunk-plan.js';
import { StorageError, formatBytes, isQuotaError } from './errors.js';
import { DownloadLedger } from './ledger.js';
import type { ModelStore } from './model-store.js';
import { describeStatus, isRetryableStatus, parseContentRange } from './range-response.js';
import { IncrementalSha256, type Sha256Checkpoint } from './sha256-state.js';

export interface DownloadProgressEvent {
  /** Bytes of chunks stored in the cache (including those stored before this run). */
  readonly storedBytes: number;
  /** Bytes received for chunks not yet stored. */
  readonly inFlightBytes: number;
  /** Bytes received from the network in this run (for the rate). */
  readonly networkBytes: number;
  /** Bytes hashed so far (the verified prefix). */
  readonly hashedBytes: number;
}

export interface ChunkDownloadOptions {
  readonly id: string;
  readonly url: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly store: ModelStore;
  readonly fetchFn?: typeof fetch;
  /** Chunks already stored (from the store's keys). */
  readonly stored: readonly number[];
  /** Saved hash state to resume from; ignored unless it sits on a stored chunk boundary. */
  readonly hash?: Sha256Checkpoint;
  readonly signal?: AbortSignal;
  /** Parallel requests (default 4). */
  readonly concurrency?: number;
  /** A request that receives nothing for this long is aborted and retried (default 30 s). */
  readonly stallTimeoutMs?: number;
  /** Failed attempts in a row, without a byte of progress, before a chunk gives up (default 6). */
  readonly maxRetries?: number;
  /** First retry delay; doubles per failure up to 30 s (default 1 s). */
  readonly retryDelayMs?: number;
  /** Completed chunks kept in memory until the hash reaches them; beyond this they are read back (default 4 chunks per request). */
  readonly hashBufferBytes?: number;
  /** Called with chunk 0 before it is stored; throw to refuse the file (e.g. not a GGUF). */
  readonly checkFirstChunk?: (bytes: Uint8Array) => void;
  readonly onProgress?: (e: DownloadProgressEvent) => void;
  /** Called (serially) after each chunk is hashed, with a state that can be saved for a later resume. */
  readonly onCheckpoint?: (cp: Sha256Checkpoint) => Promise<void>;
  /** Called with the ETag of the first successful response, when the server exposes one. */
  readonly onEtag?: (etag: string) => void;
}

export interface ChunkDownloadResult {
  /** SHA-256 of the whole file as stored. */
  readonly sha256: string;
  /** Chunks fetched in this run. */
  readonly fetchedChunks: number;
  /** Bytes received from the network in this run. */
  readonly networkBytes: number;
  /** Bytes read back from the store to hash (0 unless resuming without a saved hash state). */
  readonly rereadBytes: number;
}

/** A failure that another attempt may fix. */
class RetryableError extends Error {}

class StreamTakenError extends Error {}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export function downloadChunks(options: ChunkDownloadOptions): Promise<ChunkDownloadResult> {
  return new ChunkDownloader(options).run();
}

class ChunkDownloader {
  private readonly o: Required<Pick<ChunkDownloadOptions, 'concurrency' | 'stallTimeoutMs' | 'maxRetries' | 'retryDelayMs' | 'hashBufferBytes'>> &
    ChunkDownloadOptions;
  private readonly fetchFn: typeof fetch;
  private readonly count: number;
  private readonly ledger: DownloadLedger;
  private readonly abort = new AbortController();
  private fatal: unknown;
  private storedBytes = 0;
  private inFlight = new Map<number, number>();
  private networkBytes = 0;
  private fetched = 0;
  private rereadBytes = 0;
  // Hashing: chunks [0, frontier) are in the hasher.
  private hasher: IncrementalSha256;
  private frontier = 0;
  private readonly pending = new Map<number, Uint8Array>();
  private pendingBytes = 0;
  private pumping: Promise<void> | undefined;
  private pumpActive = false;
  private hashWaiters: Array<() => void> = [];
  // Whole-body streaming (a server that ignored Range): at most one stream at a time.
  private streaming: Promise<void> | undefined;
  private streamFailures = 0;
  private etagSeen = false;

  constructor(options: ChunkDownloadOptions) {
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
      throw new StorageError('BAD_INPUT', `concurrency must be an integer from 1 to 16, got ${concurrency}.`);
    }
    // Explicit `undefined` in options means "default" (callers pass their own optional options through).
    this.o = {
      ...options,
      concurrency,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 6,
      retryDelayMs: options.retryDelayMs ?? 1000,
      hashBufferBytes: options.hashBufferBytes ?? 4 * concurrency * options.chunkBytes,
    };
    this.fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init));
    this.count = chunkCount(options.size, options.chunkBytes);
    this.ledger = new DownloadLedger(this.count, options.stored);
    for (let i = 0; i < this.count; i++) if (this.ledger.isStored(i)) this.storedBytes += this.chunk(i).length;
    // Resume the hash from a saved state only if every chunk it covers is still stored.
    const cp = options.hash;
    const cpChunks = cp && cp.bytes % options.chunkBytes === 0 ? cp.bytes / options.chunkBytes : cp?.bytes === options.size ? this.count : -1;
    let resumed: IncrementalSha256 | undefined;
    if (cp && cpChunks >= 0 && cpChunks <= this.count && Array.from({ length: cpChunks }, (_, i) => i).every((i) => this.ledger.isStored(i))) {
      try {
        resumed = IncrementalSha256.fromCheckpoint(cp);
        this.frontier = cpChunks;
      } catch {
        resumed = undefined;
      }
    }
    this.hasher = resumed ?? IncrementalSha256.create();
  }

  private chunk(i: number): ChunkRange {
    return chunkRange(this.o.size, this.o.chunkBytes, i);
  }

  async run(): Promise<ChunkDownloadResult> {
    const external = this.o.signal;
    const onAbort = () => this.fail(this.abortedError());
    if (external?.aborted) throw this.abortedError();
    external?.addEventListener('abort', onAbort, { once: true });
    try {
      this.report();
      this.pump();
      const workers = Array.from({ length: Math.min(this.o.concurrency, Math.max(1, this.count)) }, () => this.worker());
      await Promise.all(workers);
      if (this.fatal) throw this.fatal;
      if (!this.ledger.allStored) {
        // Cannot happen unless a worker exited early by mistake; fail loudly rather than hash a hole.
        throw new StorageError('NETWORK', `The download stopped with chunks ${this.ledger.notStored().join(', ')} missing. Try again.`);
      }
      // Hash whatever the pump has not reached yet (chunks that did not fit in memory are read back).
      while (this.frontier < this.count) {
        this.pump();
        await this.pumping;
        if (this.fatal) throw this.fatal;
      }
      return {
        sha256: this.hasher.digestHex(),
        fetchedChunks: this.fetched,
        networkBytes: this.networkBytes,
        rereadBytes: this.rereadBytes,
      };
    } finally {
      external?.removeEventListener('abort', onAbort);
      this.abort.abort();
    }
  }

  private abortedError(): StorageError {
    const reason = this.o.signal?.reason;
    const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
    return new StorageError(
      'ABORTED',
      `The download was stopped (${why}); ${formatBytes(this.storedBytes)} of ${formatBytes(this.o.size)} are stored and kept. Start it again to resume.`,
      { storedBytes: this.storedBytes, size: this.o.size, reason: why },
    );
  }

  private fail(e: unknown): void {
    for (const wake of this.hashWaiters.splice(0)) wake();
    // A quota error can also come from saving the hash state; report it like a refused chunk write.
    if (this.fatal === undefined) this.fatal = isQuotaError(e) ? this.quotaError() : e;
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.fatal !== undefined || this.abort.signal.aborted;
  }

  private report(): void {
    let inFlightBytes = 0;
    for (const v of this.inFlight.values()) inFlightBytes += v;
    this.o.onProgress?.({
      storedBytes: this.storedBytes,
      inFlightBytes,
      networkBytes: this.networkBytes,
      hashedBytes: Math.min(this.o.size, this.frontier * this.o.chunkBytes),
    });
  }

  private async worker(): Promise<void> {
    while (!this.stopped) {
      // Backpressure: when the hash is the slow part (its next chunk is stored and the buffer is full), wait for it
      // rather than store chunks that would have to be read back later. A missing frontier chunk never blocks.
      while (!this.stopped && this.pendingBytes >= this.o.hashBufferBytes && this.ledger.isStored(this.frontier)) {
        await new Promise<void>((resolve) => this.hashWaiters.push(resolve));
      }
      if (this.stopped) return;
      const i = this.ledger.claimNext();
      if (i === undefined) return;
      try {
        await this.fetchChunk(i);
      } catch (e) {
        this.ledger.release(i);
        this.inFlight.delete(i);
        if (e instanceof StreamTakenError) {
          // Another worker is streaming the whole body and will pick this chunk up on its way.
          await this.streaming;
          continue;
        }
        this.fail(e);
        return;
      }
    }
  }

  /** Fetches chunk i (claimed) with ranged GETs until it is stored; throws a fatal error otherwise. */
  private async fetchChunk(i: number): Promise<void> {
    const chunk = this.chunk(i);
    const buf = new Uint8Array(chunk.length);
    let got = 0;
    let failures = 0;
    let lastError = '';
    for (;;) {
      if (this.stopped) throw this.fatal ?? this.abortedError();
      const before = got;
      try {
        const r = await this.requestRange(i, chunk, buf, got);
        if (r === 'streamed') return;
        got = r;
        if (got === chunk.length) {
          await this.deliver(i, buf);
          return;
        }
        lastError = `the server sent ${got - before} of ${chunk.length - before} bytes and closed the connection`;
      } catch (e) {
        if (!(e instanceof RetryableError)) throw e;
        got = Math.max(got, (e as RetryableError & { got?: number }).got ?? got);
        lastError = e.message;
      }
      if (this.stopped) throw this.fatal ?? this.abortedError();
      // An attempt that moved forward resets the count: a flaky but working connection always finishes.
      failures = got > before ? 0 : failures + 1;
      if (failures > this.o.maxRetries) {
        throw new StorageError(
          'NETWORK',
          `Downloading ${this.o.url} failed ${failures} times in a row at byte ${chunk.start + got} (${lastError}). ` +
            `${formatBytes(this.storedBytes)} of ${formatBytes(this.o.size)} are stored and kept; check your connection and start again to resume.`,
          { url: this.o.url, offset: chunk.start + got, lastError },
        );
      }
      if (failures > 0) await sleep(Math.min(30_000, this.o.retryDelayMs * 2 ** (failures - 1)), this.abort.signal);
    }
  }

  /**
   * One ranged GET for chunk bytes [got, length). Returns the new `got`, or 'streamed' when the server answered
   * with the whole body and this worker stored the chunk while streaming it. Throws RetryableError (with `got`)
   * for failures worth another attempt, StorageError for the others.
   */
  private async requestRange(i: number, chunk: ChunkRange, buf: Uint8Array, got: number): Promise<number | 'streamed'> {
    const from = chunk.start + got;
    const to = chunk.end - 1;
    const request = new AbortController();
    const stop = () => request.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        request.abort();
      }, this.o.stallTimeoutMs);
    };
    const retry = (message: string) => Object.assign(new RetryableError(message), { got });
    arm();
    try {
      let response: Response;
      try {
        response = await this.fetchFn(this.o.url, {
          headers: { Range: `bytes=${from}-${to}` },
          signal: request.signal,
          cache: 'no-store',
        });
      } catch (e) {
        if (this.stopped) throw this.fatal ?? this.abortedError();
        throw retry(stalled ? `no answer within ${this.o.stallTimeoutMs} ms` : `network error: ${(e as Error).message}`);
      }
      if (!this.etagSeen) {
        const etag = response.headers.get('ETag');
        if (etag && (response.status === 200 || response.status === 206)) {
          this.etagSeen = true;
          this.o.onEtag?.(etag);
        }
      }
      if (response.status === 200) {
        this.checkWholeBodySize(response);
        if (this.streaming) {
          await response.body?.cancel().catch(() => undefined);
          throw new StreamTakenError();
        }
        await this.streamWholeBody(i, response, arm, request.signal, () => stalled);
        return 'streamed';
      }
      if (response.status !== 206) {
        await response.body?.cancel().catch(() => undefined);
        if (response.status === 416) {
          throw new StorageError(
            'SIZE_MISMATCH',
            `${this.o.url} has fewer than ${this.o.size} bytes (${describeStatus(416)}). The file on the server changed or the expected size is wrong.`,
            { url: this.o.url, expectedSize: this.o.size, status: 416 },
          );
        }
        if (isRetryableStatus(response.status)) throw retry(describeStatus(response.status));
        throw new StorageError('HTTP_STATUS', `${this.o.url} answered ${describeStatus(response.status)}. Check the address; retrying will not help.`, {
          url: this.o.url,
          status: response.status,
        });
      }
      const cr = parseContentRange(response.headers.get('Content-Range'));
      if (cr?.total !== undefined && cr.total !== this.o.size) {
        await response.body?.cancel().catch(() => undefined);
        throw new StorageError(
          'SIZE_MISMATCH',
          `${this.o.url} is now ${formatBytes(cr.total)} (${cr.total} bytes) but ${this.o.size} bytes were expected: the file on the server changed. ` +
            `Update the registry entry (or delete the cached copy) and download it again.`,
          { url: this.o.url, expectedSize: this.o.size, serverSize: cr.total },
        );
      }
      if (!cr || cr.start !== from || cr.end !== to) {
        await response.body?.cancel().catch(() => undefined);
        throw retry(`asked for bytes ${from}-${to}, the server answered Content-Range "${response.headers.get('Content-Range')}"`);
      }
      if (!response.body) throw retry('the answer had no body');
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          arm();
          if (got + value.byteLength > chunk.length) {
            throw retry(`the server sent more than the ${to - from + 1} bytes asked for`);
          }
          buf.set(value, got);
          got += value.byteLength;
          this.networkBytes += value.byteLength;
          this.inFlight.set(i, got);
          this.report();
        }
      } catch (e) {
        await reader.cancel().catch(() => undefined);
        if (e instanceof RetryableError) throw e;
        if (this.stopped) throw this.fatal ?? this.abortedError();
        throw retry(stalled ? `no data for ${this.o.stallTimeoutMs} ms (stalled)` : `connection lost: ${(e as Error).message}`);
      }
      return got;
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', stop);
    }
  }

  private checkWholeBodySize(response: Response): void {
    const len = response.headers.get('Content-Length');
    if (len !== null && Number(len) !== this.o.size) {
      void response.body?.cancel().catch(() => undefined);
      throw new StorageError(
        'SIZE_MISMATCH',
        `${this.o.url} answered a range request with a whole body of ${Number(len)} bytes, but the file should be ${this.o.size} bytes. ` +
          `It is probably an error page or a different file; check the address.`,
        { url: this.o.url, expectedSize: this.o.size, serverSize: Number(len) },
      );
    }
  }

  /**
   * The server ignored Range and is sending the whole file: read it once from byte 0, store every chunk on the
   * way that is neither stored nor being fetched by another worker (and our own chunk `own`), then stop reading
   * as soon as nothing further is needed.
   */
  private async streamWholeBody(
    own: number,
    response: Response,
    arm: () => void,
    signal: AbortSignal,
    stalled: () => boolean,
  ): Promise<void> {
    let finish!: () => void;
    this.streaming = new Promise<void>((r) => (finish = r));
    const reader = response.body!.getReader();
    let pos = 0;
    let current: { index: number; buf: Uint8Array; start: number; end: number } | undefined;
    let ownDone = false;
    const take = (index: number) => index === own || this.ledger.tryClaim(index);
    let failure: unknown;
    try {
      for (;;) {
        const needMore = !ownDone || current !== undefined || this.ledger.anyUnclaimedFrom(Math.ceil(pos / this.o.chunkBytes));
        if (!needMore || signal.aborted) break;
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        this.networkBytes += value.byteLength;
        let off = 0;
        while (off < value.byteLength && pos < this.o.size) {
          const index = Math.floor(pos / this.o.chunkBytes);
          const chunk = this.chunk(index);
          if (pos === chunk.start) current = take(index) ? { index, buf: new Uint8Array(chunk.length), start: chunk.start, end: chunk.end } : undefined;
          const n = Math.min(value.byteLength - off, chunk.end - pos);
          if (current) {
            current.buf.set(value.subarray(off, off + n), pos - current.start);
            this.inFlight.set(index, pos + n - current.start);
          }
          pos += n;
          off += n;
          if (current && pos === current.end) {
            const c = current;
            current = undefined;
            await this.deliver(c.index, c.buf);
            if (c.index === own) ownDone = true;
          }
        }
        this.report();
      }
    } catch (e) {
      failure = e;
    } finally {
      await reader.cancel().catch(() => undefined);
      this.streaming = undefined;
      finish();
    }
    // A chunk cut off in the middle goes back to the pool (our own stays with us and is retried by the caller).
    if (current && current.index !== own) {
      this.ledger.release(current.index);
      this.inFlight.delete(current.index);
    }
    if (failure instanceof StorageError) throw failure;
    if (this.stopped) throw this.fatal ?? this.abortedError();
    if (ownDone) {
      if (failure === undefined) this.streamFailures = 0;
      return;
    }
    if (++this.streamFailures > this.o.maxRetries) {
      throw new StorageError(
        'NETWORK',
        `${this.o.url} ignores Range requests and its whole-file answer broke off ${this.streamFailures} times. Check your connection and start again to resume.`,
        { url: this.o.url },
      );
    }
    const why =
      failure === undefined
        ? `the whole-file answer ended at byte ${pos} of ${this.o.size}`
        : stalled()
          ? `no data for ${this.o.stallTimeoutMs} ms while streaming the whole file`
          : `connection lost while streaming the whole file: ${(failure as Error).message}`;
    throw Object.assign(new RetryableError(why), { got: 0 });
  }

  /** Stores a whole chunk, then lets the hash move on. */
  private async deliver(i: number, bytes: Uint8Array): Promise<void> {
    if (this.stopped) throw this.fatal ?? this.abortedError();
    if (i === 0) this.o.checkFirstChunk?.(bytes);
    try {
      await this.o.store.putChunk(this.o.id, i, bytes);
    } catch (e) {
      if (isQuotaError(e)) throw this.quotaError();
      throw new StorageError('UNAVAILABLE', `Writing to the model cache failed: ${(e as Error)?.name ?? ''} ${(e as Error)?.message ?? String(e)}`.trim(), {
        storedBytes: this.storedBytes,
      });
    }
    this.ledger.markStored(i);
    this.inFlight.delete(i);
    this.storedBytes += bytes.byteLength;
    this.fetched++;
    if (i >= this.frontier && this.pendingBytes + bytes.byteLength <= this.o.hashBufferBytes) {
      this.pending.set(i, bytes);
      this.pendingBytes += bytes.byteLength;
    }
    this.report();
    this.pump();
  }

  private quotaError(): StorageError {
    return new StorageError(
      'QUOTA',
      `The browser refused to store more of the model (storage quota exceeded) after ${formatBytes(this.storedBytes)} of ${formatBytes(this.o.size)}. ` +
        `What is stored is kept and valid: free space (delete other models or site data) and start the download again to resume.`,
      { storedBytes: this.storedBytes, size: this.o.size, neededBytes: this.o.size - this.storedBytes },
    );
  }

  /** Feeds stored chunks to the hash in file order, one pump at a time. */
  private pump(): void {
    if (this.pumpActive) return;
    if (this.frontier >= this.count || !this.ledger.isStored(this.frontier)) return;
    this.pumpActive = true;
    this.pumping = (async () => {
      try {
        await Promise.resolve(); // always asynchronous, so `pumping` is set before the loop can finish
        while (!this.fatal && this.frontier < this.count && this.ledger.isStored(this.frontier)) {
          const i = this.frontier;
          let bytes = this.pending.get(i);
          if (bytes) {
            this.pending.delete(i);
            this.pendingBytes -= bytes.byteLength;
          } else {
            bytes = await this.readBack(i);
            this.rereadBytes += bytes.byteLength;
          }
          this.hasher.update(bytes);
          this.frontier++;
          for (const wake of this.hashWaiters.splice(0)) wake();
          const cp = this.hasher.checkpoint();
          if (cp && this.o.onCheckpoint) await this.o.onCheckpoint(cp);
          this.report();
        }
      } catch (e) {
        this.fail(e);
      } finally {
        this.pumpActive = false;
      }
      // A chunk may have been stored while the last one was being hashed.
      if (!this.fatal) this.pump();
    })();
  }

  private async readBack(i: number): Promise<Uint8Array> {
    const expected = this.chunk(i).length;
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.o.store.getChunk(this.o.id, i);
    } catch {
      bytes = undefined; // the browser lost the value's file (eviction, cleared data)
    }
    if (!bytes || bytes.byteLength !== expected) {
      throw new StorageError(
        'EVICTED',
        `Chunk ${i} of the cached model vanished or is damaged (the browser may have evicted it). Start the download again; only missing chunks are fetched.`,
        { chunk: i },
      );
    }
    return bytes;
  }
}
