// Helpers shared by the storage test page and its worker.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ByteSource } from '../../src/gguf/types.js';

export function describeError(e: unknown) {
  const err = e as { name?: string; code?: string; message?: string; details?: unknown };
  return { name: err?.name ?? 'Error', code: err?.code ?? 'NOT_STORAGE_ERROR', message: err?.message ?? String(e), details: err?.details };
}

/** SHA-256 of everything a ByteSource holds, read in 1 MiB pieces (what a loader would read). */
export async function digestSource(source: ByteSource, piece = 1 << 20): Promise<string> {
  const h = sha256.create();
  for (let at = 0; at < source.size; at += piece) h.update(await source.read(at, Math.min(piece, source.size - at)));
  return bytesToHex(h.digest());
}
