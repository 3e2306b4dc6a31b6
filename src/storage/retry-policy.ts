// The one retry policy every request of a download follows (the size probe and every chunk): exponential backoff
// with jitter, Retry-After honoured, and an outage budget (about a minute without a byte of progress) before the
// download gives up with NETWORK. Answers that will not change (404, 403, 401, a CORS refusal) are never retried;
// that decision is the caller's (isRetryableStatus). Time is injectable so tests run the minute in microseconds.

export interface RetryTiming {
  /** First backoff (default 1 s); doubles per failure in a row up to maxDelayMs. */
  readonly baseDelayMs?: number;
  /** Longest backoff between two attempts (default 30 s); a longer Retry-After is honoured within the budget. */
  readonly maxDelayMs?: number;
  /** How long failures may go on without progress before NETWORK (default 60 s). */
  readonly outageBudgetMs?: number;
  /** Failed attempts in a row before NETWORK, on top of the budget (default: no count limit). */
  readonly maxAttempts?: number;
  readonly now?: () => number;
  /** In [0, 1): the jitter (default Math.random). */
  readonly random?: () => number;
  /** Waits `ms` or until `signal` aborts (default setTimeout). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export type ResolvedRetryTiming = Required<Omit<RetryTiming, 'maxAttempts'>> & { readonly maxAttempts: number };

export const DEFAULT_OUTAGE_BUDGET_MS = 60_000;

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function resolveRetryTiming(t: RetryTiming = {}): ResolvedRetryTiming {
  return {
    baseDelayMs: t.baseDelayMs ?? 1000,
    maxDelayMs: t.maxDelayMs ?? 30_000,
    outageBudgetMs: t.outageBudgetMs ?? DEFAULT_OUTAGE_BUDGET_MS,
    maxAttempts: t.maxAttempts ?? Infinity,
    now: t.now ?? (() => Date.now()),
    random: t.random ?? Math.random,
    sleep: t.sleep ?? abortableSleep,
  };
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The state of one retried thing (the probe, one chunk): failures in a row and when the outage began. Progress
 * (any byte received) ends the outage, so a flaky but working link always finishes.
 */
export class RetryClock {
  private failures = 0;
  private outageStart: number | undefined;

  constructor(private readonly t: ResolvedRetryTiming) {}

  progress(): void {
    this.failures = 0;
    this.outageStart = undefined;
  }

  get failuresInARow(): number {
    return this.failures;
  }

  /** How long the outage has lasted so far (0 when there is none). */
  outageMs(): number {
    return this.outageStart === undefined ? 0 : this.t.now() - this.outageStart;
  }

  /**
   * Records a failure and returns how long to wait before the next attempt, or undefined when the budget (or
   * the attempt limit) is spent. Jitter: a uniform draw in [delay/2, delay), so parallel requests spread out.
   */
  failure(retryAfterMs?: number): number | undefined {
    const now = this.t.now();
    this.outageStart ??= now;
    this.failures++;
    if (this.failures > this.t.maxAttempts) return undefined;
    const exp = Math.min(this.t.maxDelayMs, this.t.baseDelayMs * 2 ** (this.failures - 1));
    let delay = exp / 2 + this.t.random() * (exp / 2);
    if (retryAfterMs !== undefined) delay = Math.max(delay, retryAfterMs);
    if (now - this.outageStart + delay > this.t.outageBudgetMs) return undefined;
    return delay;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return this.t.sleep(ms, signal);
  }
}
