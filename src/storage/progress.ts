// Progress events for the page: phase, bytes done and total, rate and ETA. Byte updates are throttled to a few
// per second (every phase change and the last update are always sent), so they can cross a worker boundary cheaply.

export type StoragePhase = 'checking' | 'downloading' | 'verifying' | 'loading-to-gpu' | 'ready';

export interface StorageProgress {
  readonly phase: StoragePhase;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Network bytes per second over the last few seconds (downloading only). */
  readonly rate?: number;
  /** Seconds left at the current rate (downloading only). */
  readonly etaSeconds?: number;
  /** What is going on, for people (e.g. "waiting for another tab's download"). */
  readonly detail?: string;
}

export interface ProgressReporter {
  /** Sends a phase change now. */
  phase(phase: StoragePhase, bytesDone: number, bytesTotal: number, detail?: string): void;
  /** A byte update; sent at most every intervalMs. `networkBytes` is a running count of received bytes. */
  bytes(bytesDone: number, bytesTotal: number, networkBytes?: number): void;
  /** Sends the last throttled update, if one is waiting. */
  flush(): void;
}

export interface ProgressOptions {
  readonly intervalMs?: number;
  /** Rate window. */
  readonly windowMs?: number;
  readonly now?: () => number;
}

export function createProgressReporter(onProgress: ((p: StorageProgress) => void) | undefined, options: ProgressOptions = {}): ProgressReporter {
  const intervalMs = options.intervalMs ?? 200;
  const windowMs = options.windowMs ?? 5000;
  const now = options.now ?? (() => performance.now());
  let phase: StoragePhase = 'checking';
  let lastSent = -Infinity;
  let waiting: StorageProgress | undefined;
  const samples: Array<{ t: number; bytes: number }> = [];

  const emit = (p: StorageProgress) => {
    waiting = undefined;
    lastSent = now();
    try {
      onProgress?.(p);
    } catch {
      // A broken progress callback must not break the download.
    }
  };

  const rate = (): number | undefined => {
    if (samples.length < 2) return undefined;
    const first = samples[0];
    const last = samples[samples.length - 1];
    const dt = (last.t - first.t) / 1000;
    return dt >= 0.25 ? (last.bytes - first.bytes) / dt : undefined;
  };

  return {
    phase(next, bytesDone, bytesTotal, detail) {
      phase = next;
      if (next !== 'downloading') samples.length = 0;
      emit({ phase: next, bytesDone, bytesTotal, ...(detail ? { detail } : {}) });
    },
    bytes(bytesDone, bytesTotal, networkBytes) {
      const t = now();
      if (networkBytes !== undefined && phase === 'downloading') {
        samples.push({ t, bytes: networkBytes });
        while (samples.length > 2 && t - samples[0].t > windowMs) samples.shift();
      }
      const r = phase === 'downloading' ? rate() : undefined;
      const p: StorageProgress = {
        phase,
        bytesDone,
        bytesTotal,
        ...(r !== undefined ? { rate: r, etaSeconds: r > 0 ? Math.max(0, bytesTotal - bytesDone) / r : undefined } : {}),
      };
      if (t - lastSent >= intervalMs) emit(p);
      else waiting = p;
    },
    flush() {
      if (waiting) emit(waiting);
    },
  };
}
