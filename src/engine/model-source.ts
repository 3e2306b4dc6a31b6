// What the engine loads from: a registry id or GGUF URL (through the IndexedDB cache, or straight over HTTP Range
// with cache: false), or a local File (imported into the same cache). Returns a ByteSource plus cache facts.
import type { LoadOptions, LoadProgress } from '../api/engine-api.js';
import type { ByteSource } from '../gguf/types.js';
import { openHttpSource } from '../storage/http-source.js';
import { ensureModel, findModelEntry, importLocalFile, type CachedModelSource } from '../storage/index.js';

export interface OpenedModelSource {
  readonly source: ByteSource;
  /** Frees the cached source's read-ahead chunks once the weights are on the device. */
  readonly release: () => void;
  readonly fromCache: boolean;
  readonly persisted: boolean | undefined;
  /** A name for the model when the file does not carry general.name. */
  readonly fallbackName: string;
  /** The stored model's identity, when the bytes come from the IndexedDB cache (the CPU path caches its repacked weights next to it). */
  readonly stored?: { readonly id: string; readonly size: number; readonly sha256?: string };
}

export async function openModelSource(
  target: string | File,
  options: LoadOptions,
  signal: AbortSignal,
  onProgress: (p: LoadProgress) => void,
): Promise<OpenedModelSource> {
  if (typeof target !== 'string') {
    const imported = await importLocalFile(target, { sha256: options.sha256, onProgress });
    return {
      source: imported.source,
      release: () => imported.source.release(),
      fromCache: imported.fromCache,
      persisted: imported.persisted,
      fallbackName: target.name,
      stored: storedIdentity(imported.source),
    };
  }
  const fallbackName = target.split('/').pop() ?? target;
  if (options.cache === false) {
    return { source: await openHttpSource(target), release: () => {}, fromCache: false, persisted: undefined, fallbackName };
  }
  const entry = findModelEntry(target);
  const ensured = await ensureModel(entry ?? { url: target, sha256: options.sha256, size: options.size }, { signal, onProgress });
  return {
    source: ensured.source,
    release: () => ensured.source.release(),
    fromCache: ensured.fromCache,
    persisted: ensured.persisted,
    fallbackName,
    stored: storedIdentity(ensured.source),
  };
}

const storedIdentity = (s: CachedModelSource) => ({ id: s.modelId, size: s.size, sha256: s.sha256 });
