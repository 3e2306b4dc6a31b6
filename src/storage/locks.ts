// One download or deletion per model at a time, across tabs and workers of the origin: Web Locks, or an
// in-process queue where the browser has none.
import { StorageError } from './errors.js';

export const LOCK_PREFIX = 'gemma4-webgpu-model:';

interface LockManagerLike {
  request<T>(name: string, options: { mode?: 'exclusive' | 'shared'; ifAvailable?: boolean; signal?: AbortSignal }, cb: (lock: unknown) => Promise<T>): Promise<T>;
}

const local = new Map<string, Promise<unknown>>();

function lockManager(): LockManagerLike | undefined {
  return typeof navigator !== 'undefined' ? (navigator as { locks?: LockManagerLike }).locks : undefined;
}

export interface LockOptions {
  /** Stop waiting for the lock (rejects with ABORTED). */
  readonly signal?: AbortSignal;
  /** Fail with BUSY instead of waiting. */
  readonly ifAvailable?: boolean;
  /** Called once if the lock is held by someone else and we wait. */
  readonly onWait?: () => void;
}

/** Runs fn holding the model's lock. */
export async function withModelLock<T>(id: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const name = LOCK_PREFIX + id;
  const locks = lockManager();
  const busy = () =>
    new StorageError('BUSY', `The model "${id}" is being downloaded or changed in this or another tab. Wait for it to finish, or cancel it there.`, { id });
  if (options.signal?.aborted) throw aborted(options.signal);
  if (locks) {
    // Probe first so the caller can say "waiting for another tab" while we wait.
    let ran = false;
    let result: T | undefined;
    await locks.request(name, { ifAvailable: true }, async (lock) => {
      if (!lock) return;
      ran = true;
      result = await fn();
    });
    if (ran) return result as T;
    if (options.ifAvailable) throw busy();
    options.onWait?.();
    try {
      return await locks.request(name, { signal: options.signal }, () => fn());
    } catch (e) {
      if ((e as Error)?.name === 'AbortError' && options.signal?.aborted) throw aborted(options.signal);
      throw e;
    }
  }
  // No Web Locks: serialise within this realm only.
  const previous = local.get(name);
  if (previous && options.ifAvailable) throw busy();
  if (previous) options.onWait?.();
  const run = (previous ?? Promise.resolve()).catch(() => undefined).then(() => {
    if (options.signal?.aborted) throw aborted(options.signal);
    return fn();
  });
  const settled = run.catch(() => undefined);
  local.set(name, settled);
  void settled.then(() => {
    if (local.get(name) === settled) local.delete(name);
  });
  return run;
}

function aborted(signal: AbortSignal): StorageError {
  const r = signal.reason;
  return new StorageError('ABORTED', `Stopped while waiting for another download of the same model (${r instanceof Error ? r.message : String(r ?? 'aborted')}).`);
}
