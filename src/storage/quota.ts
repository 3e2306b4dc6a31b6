// Space and persistence: navigator.storage.estimate() against the bytes still needed before a download, and
// navigator.storage.persist() so the browser does not evict gigabytes of weights under storage pressure.
import { StorageError, formatBytes } from './errors.js';

/** The parts of StorageManager used here (a worker has estimate and persisted, only a page has persist). */
export interface StorageManagerLike {
  estimate?(): Promise<{ quota?: number; usage?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

const defaultStorage = (): StorageManagerLike | undefined =>
  typeof navigator !== 'undefined' ? (navigator.storage as StorageManagerLike | undefined) : undefined;

export interface SpaceEstimate {
  readonly quota: number;
  readonly usage: number;
  readonly available: number;
}

/** The origin's quota and usage, or undefined when the browser does not say. */
export async function estimateSpace(storage = defaultStorage()): Promise<SpaceEstimate | undefined> {
  try {
    const e = await storage?.estimate?.();
    if (!e || typeof e.quota !== 'number') return undefined;
    const usage = e.usage ?? 0;
    return { quota: e.quota, usage, available: Math.max(0, e.quota - usage) };
  } catch {
    return undefined;
  }
}

/** Throws QUOTA when `neededBytes` more will not fit; passes when they fit or the browser gives no estimate. */
export async function checkSpace(neededBytes: number, what: string, storage = defaultStorage()): Promise<SpaceEstimate | undefined> {
  const e = await estimateSpace(storage);
  if (e && neededBytes > e.available) {
    throw new StorageError(
      'QUOTA',
      `Not enough storage for ${what}: it needs ${formatBytes(neededBytes)} more, but only ${formatBytes(e.available)} are available to this site ` +
        `(quota ${formatBytes(e.quota)}, ${formatBytes(e.usage)} used). Free disk space or delete cached models, then try again.`,
      { neededBytes, availableBytes: e.available, quota: e.quota, usage: e.usage },
    );
  }
  return e;
}

/**
 * Asks for persistent storage (a page only; in a worker persist() does not exist, so this reports whether the
 * origin is already persisted). undefined when the browser cannot tell.
 */
export async function requestPersistence(storage = defaultStorage()): Promise<boolean | undefined> {
  if (typeof storage?.persist === 'function') {
    try {
      return await storage.persist();
    } catch {
      // fall through to persisted()
    }
  }
  return persistenceState(storage);
}

/** Whether the origin's storage is persistent (no prompt, works in workers). */
export async function persistenceState(storage = defaultStorage()): Promise<boolean | undefined> {
  if (typeof storage?.persisted !== 'function') return undefined;
  try {
    return await storage.persisted();
  } catch {
    return undefined;
  }
}
