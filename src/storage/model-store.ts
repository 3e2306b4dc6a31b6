// Where cached models live: one record per model (what it is, how far it got, its hash state) and one value per
// chunk (its bytes), plus, next to a model, the CPU path's cache of its repacked weights (a manifest and parts;
// see storage/packed-store.ts). ModelStore is the interface; idb-store.ts implements it on IndexedDB,
// MemoryModelStore in memory (tests).
import type { Sha256Checkpoint } from './sha256-state.js';

/** Version of the record shapes below; the IndexedDB database version follows it (see idb-store.ts). */
export const SCHEMA_VERSION = 2;

export type ModelOrigin = 'registry' | 'url' | 'file';

export interface ModelRecord {
  readonly schema: number;
  readonly id: string;
  readonly name: string;
  readonly origin: ModelOrigin;
  /** Download URL (registry and url models). */
  readonly url?: string;
  /** Registry id, when the model came from the registry. */
  readonly registryId?: string;
  /** File name for people (last URL segment or the picked file's name). */
  readonly fileName: string;
  readonly size: number;
  /** Chunk size this model was stored with; fixed for its lifetime. */
  readonly chunkBytes: number;
  /** SHA-256 the bytes must have (registry, Hub, or caller); absent when nobody said. */
  readonly expectedSha256?: string;
  /** SHA-256 of the stored bytes, set when the model is complete. */
  readonly sha256?: string;
  /** complete: every chunk stored and hashed; partial: a download or import in progress or paused. */
  readonly status: 'partial' | 'complete';
  /** The stored bytes hash to expectedSha256 (false when there was nothing to compare with). */
  readonly verified: boolean;
  /** Hash state over the first `hash.bytes` bytes (a stored chunk boundary), so a resume need not re-read them. */
  readonly hash?: Sha256Checkpoint;
  /** ETag of the server's file when it was exposed, to notice a file that changed between sessions. */
  readonly etag?: string;
  /** Last-Modified of the first answer, when the server sent one (compared with every later answer). */
  readonly lastModified?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastUsed: number;
}

export interface ModelStore {
  getRecord(id: string): Promise<ModelRecord | undefined>;
  putRecord(record: ModelRecord): Promise<void>;
  deleteRecord(id: string): Promise<void>;
  listRecords(): Promise<ModelRecord[]>;
  /** Stores one chunk atomically; rejects with the browser's QuotaExceededError when it does not fit. */
  putChunk(id: string, index: number, bytes: Uint8Array): Promise<void>;
  /** Indices of the stored chunks of `id` (ascending). Cheap: reads keys only. */
  chunkIndices(id: string): Promise<number[]>;
  /** The bytes of one stored chunk, or undefined when it is not stored. */
  getChunk(id: string, index: number): Promise<Uint8Array | undefined>;
  /** True when readChunkRange reads only the bytes asked for (Blob values); then small reads skip whole chunks. */
  readonly sliceableChunks?: boolean;
  /** Bytes [from, to) of one stored chunk, or undefined when it is not stored. */
  readChunkRange?(id: string, index: number, from: number, to: number): Promise<Uint8Array | undefined>;
  deleteChunks(id: string, indices?: readonly number[]): Promise<void>;
  /** Model ids that have chunks (to find chunks whose record is gone). */
  chunkOwners(): Promise<string[]>;
  /** The repacked-weight caches of the models (absent: this store keeps none). */
  readonly packed?: PackedWeightsStore;
}

/**
 * Per model: one manifest (plain data, written last) and numbered parts of the CPU path's packed weights. The
 * storage layer only stores them; cpu/packed-image.ts says what they mean.
 */
export interface PackedWeightsStore {
  getManifest(id: string): Promise<unknown>;
  putManifest(id: string, manifest: unknown): Promise<void>;
  deleteManifest(id: string): Promise<void>;
  getPart(id: string, index: number): Promise<Uint8Array | undefined>;
  /** Rejects with the browser's QuotaExceededError when it does not fit. */
  putPart(id: string, index: number, bytes: Uint8Array): Promise<void>;
  deleteParts(id: string): Promise<void>;
  /** Number of stored parts of `id` (keys only). */
  partCount(id: string): Promise<number>;
  /** Model ids with a manifest or parts. */
  owners(): Promise<string[]>;
}

/** PackedWeightsStore in memory. */
export class MemoryPackedStore implements PackedWeightsStore {
  readonly manifests = new Map<string, unknown>();
  readonly parts = new Map<string, Map<number, Uint8Array>>();
  /** Test hook: called before each part write; throw to simulate a quota error. */
  beforePut?: (id: string, index: number, bytes: Uint8Array) => void;
  /** Test counter: parts read. */
  partReads = 0;

  async getManifest(id: string) {
    const m = this.manifests.get(id);
    return m === undefined ? undefined : structuredClone(m);
  }
  async putManifest(id: string, manifest: unknown) {
    this.manifests.set(id, structuredClone(manifest));
  }
  async deleteManifest(id: string) {
    this.manifests.delete(id);
  }
  async getPart(id: string, index: number) {
    this.partReads++;
    return this.parts.get(id)?.get(index)?.slice();
  }
  async putPart(id: string, index: number, bytes: Uint8Array) {
    this.beforePut?.(id, index, bytes);
    let m = this.parts.get(id);
    if (!m) this.parts.set(id, (m = new Map()));
    m.set(index, bytes.slice());
  }
  async deleteParts(id: string) {
    this.parts.delete(id);
  }
  async partCount(id: string) {
    return this.parts.get(id)?.size ?? 0;
  }
  async owners() {
    return [...new Set([...this.manifests.keys(), ...[...this.parts.entries()].filter(([, m]) => m.size > 0).map(([id]) => id)])];
  }
}

/** A ModelStore in memory: unit tests, and pages that must not persist anything. */
export class MemoryModelStore implements ModelStore {
  readonly records = new Map<string, ModelRecord>();
  readonly chunks = new Map<string, Map<number, Uint8Array>>();
  /** Test hook: called before each chunk write; throw to simulate a quota error. */
  beforePut?: (id: string, index: number, bytes: Uint8Array) => void;
  readonly packed = new MemoryPackedStore();

  async getRecord(id: string) {
    const r = this.records.get(id);
    return r && structuredClone(r);
  }
  async putRecord(record: ModelRecord) {
    this.records.set(record.id, structuredClone(record));
  }
  async deleteRecord(id: string) {
    this.records.delete(id);
  }
  async listRecords() {
    return [...this.records.values()].map((r) => structuredClone(r));
  }
  async putChunk(id: string, index: number, bytes: Uint8Array) {
    this.beforePut?.(id, index, bytes);
    let m = this.chunks.get(id);
    if (!m) this.chunks.set(id, (m = new Map()));
    m.set(index, bytes.slice());
  }
  async chunkIndices(id: string) {
    return [...(this.chunks.get(id)?.keys() ?? [])].sort((a, b) => a - b);
  }
  async getChunk(id: string, index: number) {
    return this.chunks.get(id)?.get(index)?.slice();
  }
  async deleteChunks(id: string, indices?: readonly number[]) {
    const m = this.chunks.get(id);
    if (!m) return;
    if (!indices) this.chunks.delete(id);
    else for (const i of indices) m.delete(i);
  }
  async chunkOwners() {
    return [...this.chunks.entries()].filter(([, m]) => m.size > 0).map(([id]) => id);
  }
}
