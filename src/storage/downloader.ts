// Downloads the missing chunks of one file into a ModelStore with several CORS-simple single-range GETs in
// parallel, and hashes the whole file with an incremental SHA-256 as the stored prefix grows (no second pass:
// hash-frontier.ts).
// Survives cut connections (keeps the bytes received and asks for the rest), stalls (timeout, retry), wrong
// Content-Range (retry), servers that answer a Range request with 200 and the whole body (one worker then
// streams the body once and stores every chunk it passes that nobody else is fetching), and straggling
// connections (an idle worker races a chunk that crawls far below the download's own rate: stragglers.ts). Every
// answer is compared with the first one's validators (ETag, Last-Modified, size: validators.ts): a file that
// changes on the server stops the download at once. Every retry follows one policy (retry-policy.ts).
import { chunkCount, chunkRange, type ChunkRange } from './chunk-plan.js';
import { CorsGate, corsError, hiddenContentRangeError } from './cors-check.js';
import { StorageError, formatBytes, isQuotaError } from './errors.js';
import { HashFrontier } from './hash-frontier.js';
import { DownloadLedger } from './ledger.js';
import type { ModelStore } from './model-store.js';
import { describeStatus, isRetryableStatus, parseContentRange, parseUnsatisfiedRange } from './range-response.js';
import { RetryClock, parseRetryAfter, resolveRetryTiming, type ResolvedRetryTiming, type RetryTiming } from './retry-policy.js';
import type { Sha256Checkpoint } from './sha256-state.js';
import { StragglerRace, type Lane, type StragglerOptions } from './stragglers.js';
import { AnswerValidators, type ValidatedDownload } from './validators.js';

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

export type { StragglerOptions };

/** Also `validators`, `savedValidators` and `onValidators`: every answer is checked against them (validators.ts). */
export interface ChunkDownloadOptions extends ValidatedDownload {
  readonly id: string;
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
  /** Failed attempts in a row, without a byte of progress, before a chunk gives up (default: only the outage budget). */
  readonly maxRetries?: number;
  /** First retry delay (default 1 s); same as retry.baseDelayMs. */
  readonly retryDelayMs?: number;
  /** The retry policy's timings (backoff, outage budget, clock). */
  readonly retry?: RetryTiming;
  readonly straggler?: StragglerOptions;
  /** Completed chunks kept in memory until the hash reaches them; beyond this they are read back (default 4 chunks per request). */
  readonly hashBufferBytes?: number;
  /** Called with chunk 0 before it is stored; throw to refuse the file (e.g. not a GGUF). */
  readonly checkFirstChunk?: (bytes: Uint8Array) => void;
  readonly onProgress?: (e: DownloadProgressEvent) => void;
  /** Called (serially) after each chunk is hashed, with a state that can be saved for a later resume. */
  readonly onCheckpoint?: (cp: Sha256Checkpoint) => Promise<void>;
  /** Shared with the size probe: whether CORS already worked for this server. */
  readonly cors?: CorsGate;
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
  /** Chunks re-requested on another connection because they straggled. */
  readonly raced: number;
}

/** A failure that another attempt may fix. */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly got: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

class StreamTakenError extends Error {}

export function downloadChunks(options: ChunkDownloadOptions): Promise<ChunkDownloadResult> {
  return new ChunkDownloader(options).run();
}

class ChunkDownloader {
  private readonly o: Required<Pick<ChunkDownloadOptions, 'concurrency' | 'stallTimeoutMs' | 'hashBufferBytes'>> & ChunkDownloadOptions;
  private readonly fetchFn: typeof fetch;
  private readonly count: number;
  private readonly ledger: DownloadLedger;
  private readonly abort = new AbortController();
  private readonly timing: ResolvedRetryTiming;
  private readonly stragglers: StragglerRace;
  private readonly cors: CorsGate;
  private fatal: unknown;
  private storedBytes = 0;
  private inFlight = new Map<number, number>();
  private networkBytes = 0;
  private fetched = 0;
  // The SHA-256 of the stored prefix, fed chunk by chunk in file order.
  private readonly hash: HashFrontier;
  // Whole-body streaming (a server that ignored Range): at most one stream at a time.
  private streaming: Promise<void> | undefined;
  private streamFailures = 0;
  // Every answer must agree with the run's first answer (and the first with the saved validators).
  private readonly validators: AnswerValidators;
  // Chunks being written to the store (a racing connection that finishes meanwhile must not store them twice).
  private readonly delivering = new Set<number>();

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
      hashBufferBytes: options.hashBufferBytes ?? 4 * concurrency * options.chunkBytes,
    };
    this.timing = resolveRetryTiming({
      baseDelayMs: options.retryDelayMs,
      maxAttempts: options.maxRetries,
      ...Object.fromEntries(Object.entries(options.retry ?? {}).filter(([, v]) => v !== undefined)),
    });
    this.stragglers = new StragglerRace(options.straggler, (i) => this.chunk(i).length);
    this.cors = options.cors ?? new CorsGate();
    this.validators = new AnswerValidators(options);
    this.fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init));
    this.count = chunkCount(options.size, options.chunkBytes);
    this.ledger = new DownloadLedger(this.count, options.stored);
    for (let i = 0; i < this.count; i++) if (this.ledger.isStored(i)) this.storedBytes += this.chunk(i).length;
    this.hash = new HashFrontier({
      id: options.id,
      size: options.size,
      chunkBytes: options.chunkBytes,
      store: options.store,
      isStored: (i) => this.ledger.isStored(i),
      bufferBytes: this.o.hashBufferBytes,
      hash: options.hash,
      onCheckpoint: options.onCheckpoint,
      onHashed: () => this.report(),
      failed: () => this.fatal !== undefined,
      onError: (e) => this.fail(e),
    });
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
      this.hash.pump();
      const workers = Array.from({ length: Math.min(this.o.concurrency, Math.max(1, this.count)) }, () => this.worker());
      await Promise.all(workers);
      if (this.fatal) throw this.fatal;
      if (!this.ledger.allStored) {
        // Cannot happen unless a worker exited early by mistake; fail loudly rather than hash a hole.
        throw new StorageError('NETWORK', `The download stopped with chunks ${this.ledger.notStored().join(', ')} missing. Try again.`);
      }
      // Hash whatever the pump has not reached yet (chunks that did not fit in memory are read back).
      await this.hash.drain();
      if (this.fatal) throw this.fatal;
      return {
        sha256: this.hash.digestHex(),
        fetchedChunks: this.fetched,
        networkBytes: this.networkBytes,
        rereadBytes: this.hash.rereadBytes,
        raced: this.stragglers.racedCount,
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
    this.hash.wake();
    this.stragglers.wakeIdle();
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
      hashedBytes: this.hash.hashedBytes,
    });
  }

  private async worker(): Promise<void> {
    while (!this.stopped) {
      // Backpressure: when the hash is the slow part (its next chunk is stored and the buffer is full), wait for it
      // rather than store chunks that would have to be read back later. A missing frontier chunk never blocks.
      while (!this.stopped && this.hash.backedUp) await this.hash.waitForProgress();
      if (this.stopped) return;
      let i = this.ledger.claimNext();
      let race = false;
      if (i === undefined) {
        // Nothing left to claim: help with a straggler, or wait while other connections finish.
        if (!this.ledger.anyClaimed()) return;
        // No racing while a whole-body stream is under way: it delivers chunks nobody else fetches.
        i = this.streaming ? undefined : this.stragglers.find((j) => this.ledger.isStored(j));
        if (i === undefined) {
          await this.stragglers.idle();
          continue;
        }
        race = true;
        this.stragglers.markRaced(i);
      }
      try {
        await this.fetchChunk(i);
      } catch (e) {
        if (!race) this.ledger.release(i);
        if (!this.ledger.isStored(i) && !this.ledger.isClaimed(i)) this.inFlight.delete(i);
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

  /** Fetches chunk i with ranged GETs until it is stored (by this or a racing connection); throws a fatal error otherwise. */
  private async fetchChunk(i: number): Promise<void> {
    const chunk = this.chunk(i);
    const buf = new Uint8Array(chunk.length);
    const lane = this.stragglers.openLane(i);
    const clock = new RetryClock(this.timing);
    let lastError = '';
    try {
      for (;;) {
        if (this.stopped) throw this.fatal ?? this.abortedError();
        if (this.ledger.isStored(i)) return; // a racing connection finished it first
        const before = lane.got;
        let retryAfterMs: number | undefined;
        try {
          const r = await this.requestRange(i, chunk, buf, lane);
          if (r === 'streamed') return;
          lane.got = r;
          if (lane.got < chunk.length) lastError = `the server sent ${lane.got - before} of ${chunk.length - before} bytes and closed the connection`;
        } catch (e) {
          if (!(e instanceof RetryableError)) throw e;
          lane.got = Math.max(lane.got, e.got);
          lastError = e.message;
          retryAfterMs = e.retryAfterMs;
        }
        if (this.stopped) throw this.fatal ?? this.abortedError();
        if (this.ledger.isStored(i)) return;
        // Every byte is here, even if the answer then broke (a chunked body cut before its end): store it.
        if (lane.got === chunk.length) {
          this.stragglers.recordRate(i, lane);
          await this.deliver(i, buf, lane);
          return;
        }
        // An attempt that moved forward ends the outage: a flaky but working connection always finishes.
        if (lane.got > before) clock.progress();
        const delay = clock.failure(retryAfterMs);
        if (delay === undefined) {
          throw new StorageError(
            'NETWORK',
            `Downloading ${this.o.url} failed ${clock.failuresInARow} times in a row over ${Math.round(clock.outageMs() / 1000)} s at byte ${chunk.start + lane.got} (${lastError}). ` +
              `${formatBytes(this.storedBytes)} of ${formatBytes(this.o.size)} are stored and kept; check your connection and start again to resume.`,
            { url: this.o.url, offset: chunk.start + lane.got, lastError },
          );
        }
        if (lane.got > before && retryAfterMs === undefined) continue; // progress: ask for the rest at once
        await clock.sleep(delay, this.abort.signal);
      }
    } finally {
      this.stragglers.closeLane(i, lane);
    }
  }

  /**
   * One ranged GET for chunk bytes [lane.got, length). Returns the new `got`, or 'streamed' when the server
   * answered with the whole body and this worker stored the chunk while streaming it. Throws RetryableError
   * (with `got`) for failures worth another attempt, StorageError for the others.
   */
  private async requestRange(i: number, chunk: ChunkRange, buf: Uint8Array, lane: Lane): Promise<number | 'streamed'> {
    let got = lane.got;
    const from = chunk.start + got;
    const to = chunk.end - 1;
    if (to < from) throw new Error(`internal: chunk ${i} asked for an empty range ${from}-${to}`); // never sent
    const request = new AbortController();
    const stop = () => request.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    lane.abort.signal.addEventListener('abort', stop, { once: true });
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        request.abort();
      }, this.o.stallTimeoutMs);
    };
    const retry = (message: string, retryAfterMs?: number) => new RetryableError(message, got, retryAfterMs);
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
        if (!stalled && !lane.abort.signal.aborted && e instanceof TypeError && (await this.cors.refused(this.fetchFn, this.o.url, this.abort.signal))) {
          throw corsError(this.o.url);
        }
        throw retry(stalled ? `no answer within ${this.o.stallTimeoutMs} ms` : `network error: ${(e as Error).message}`);
      }
      this.cors.pass();
      if (response.status === 200 || response.status === 206 || response.status === 416) {
        if (response.status === 206 && response.headers.get('Content-Range') === null) {
          await response.body?.cancel().catch(() => undefined);
          throw hiddenContentRangeError(this.o.url);
        }
        try {
          this.validators.check(response);
        } catch (e) {
          await response.body?.cancel().catch(() => undefined);
          throw e;
        }
      }
      if (response.status === 200) {
        this.checkWholeBodySize(response);
        if (this.streaming) {
          await response.body?.cancel().catch(() => undefined);
          throw new StreamTakenError();
        }
        await this.streamWholeBody(i, response, arm, request.signal, () => stalled, lane);
        return 'streamed';
      }
      if (response.status !== 206) {
        await response.body?.cancel().catch(() => undefined);
        if (response.status === 416) {
          // validators.check has refused a 416 whose size differs; one with the same size (or none) is a glitch.
          const total = parseUnsatisfiedRange(response.headers.get('Content-Range'));
          throw retry(
            `the server refused bytes ${from}-${to} (HTTP 416) although the file has ${total === undefined ? 'an unstated size' : `${total} bytes`}`,
          );
        }
        if (isRetryableStatus(response.status)) {
          throw retry(describeStatus(response.status), parseRetryAfter(response.headers.get('Retry-After'), this.timing.now()));
        }
        throw new StorageError('HTTP_STATUS', `${this.o.url} answered ${describeStatus(response.status)}. Check the address; retrying will not help.`, {
          url: this.o.url,
          status: response.status,
        });
      }
      const cr = parseContentRange(response.headers.get('Content-Range'));
      if (!cr || cr.start !== from || cr.end !== to) {
        await response.body?.cancel().catch(() => undefined);
        throw retry(`asked for bytes ${from}-${to}, the server answered Content-Range "${response.headers.get('Content-Range')}"`);
      }
      if (!response.body) throw retry('the answer had no body');
      const reader = response.body.getReader();
      try {
        while (got < chunk.length) {
          const { done, value } = await reader.read();
          if (done) break;
          arm();
          // Bytes past the asked range (a server that runs on) are ignored: the range itself is complete.
          const n = Math.min(value.byteLength, chunk.length - got);
          buf.set(n === value.byteLength ? value : value.subarray(0, n), got);
          got += n;
          lane.got = got;
          this.networkBytes += n;
          this.inFlight.set(i, Math.max(this.inFlight.get(i) ?? 0, got));
          this.report();
        }
        if (got === chunk.length) await reader.cancel().catch(() => undefined);
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
      lane.abort.signal.removeEventListener('abort', stop);
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
    lane: Lane,
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
            await this.deliver(c.index, c.buf, c.index === own ? lane : undefined);
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
    if (++this.streamFailures > (this.o.maxRetries ?? 6)) {
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
    throw new RetryableError(why, 0);
  }

  /** Stores a whole chunk, then lets the hash move on. */
  private async deliver(i: number, bytes: Uint8Array, winner?: Lane): Promise<void> {
    if (this.stopped) throw this.fatal ?? this.abortedError();
    if (this.ledger.isStored(i) || this.delivering.has(i)) return; // a racing connection stored it first
    this.delivering.add(i);
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
    this.delivering.delete(i);
    this.inFlight.delete(i);
    // The first connection to finish wins: the others on this chunk are cancelled (after markStored, so they see it).
    this.stragglers.stored(i, winner);
    this.storedBytes += bytes.byteLength;
    this.fetched++;
    this.hash.keep(i, bytes);
    this.report();
    this.hash.pump();
  }

  private quotaError(): StorageError {
    return new StorageError(
      'QUOTA',
      `The browser refused to store more of the model (storage quota exceeded) after ${formatBytes(this.storedBytes)} of ${formatBytes(this.o.size)}. ` +
        `What is stored is kept and valid: free space (delete other models or site data) and start the download again to resume.`,
      { storedBytes: this.storedBytes, size: this.o.size, neededBytes: this.o.size - this.storedBytes },
    );
  }
}
