// The IndexedDB model cache, through idb-keyval over one versioned database with four object stores:
//   models: id -> ModelRecord            chunks: [id, index] -> Blob (or Uint8Array) with one chunk of the file
//   packedManifests: id -> manifest      packedParts: [id, index] -> Blob (or Uint8Array): the CPU path's
//   repacked weights of the model (storage/packed-store.ts)
// Chunks are written as Blobs: reading them back is several times faster than typed-array values in Chromium and a
// few bytes can be sliced out without reading the chunk. Writing many multi-MB Blobs quickly has failed with
// "DataError: Failed to write blobs (InvalidBlob)" in on-disk profiles, so a failed Blob write is retried once as
// a Uint8Array value (always reliable); readers accept both. See docs/storage.md.
// The database version is SCHEMA_VERSION; MIGRATIONS[v] upgrades a database from version v to v + 1, so a
// browser holding an older cache is upgraded in place (no re-download) the first time a newer app opens it.
import { del, delMany, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { StorageError } from './errors.js';
import { SCHEMA_VERSION, type ModelRecord, type ModelStore, type PackedWeightsStore } from './model-store.js';

export const DB_NAME = 'gemma4-webgpu-models';
const MODELS = 'models';
const CHUNKS = 'chunks';
const PACKED_MANIFESTS = 'packedManifests';
const PACKED_PARTS = 'packedParts';

/**
 * Upgrade steps, index = the version being upgraded from. They run inside the versionchange transaction.
 * Add a step (and bump SCHEMA_VERSION) for every change of store layout or record shape; never edit old steps.
 */
export const MIGRATIONS: ReadonlyArray<(db: IDBDatabase, tx: IDBTransaction) => void> = [
  // 0 -> 1: the first layout.
  (db) => {
    db.createObjectStore(MODELS);
    db.createObjectStore(CHUNKS);
  },
  // 1 -> 2: the CPU path's repacked-weight caches, next to the models.
  (db) => {
    db.createObjectStore(PACKED_MANIFESTS);
    db.createObjectStore(PACKED_PARTS);
  },
];

/** Brings a record read from any older schema up to the current shape (v1 -> v2: nothing to change). */
export function upgradeRecord(r: ModelRecord): ModelRecord {
  return r.schema === SCHEMA_VERSION ? r : { ...r, schema: SCHEMA_VERSION };
}

let dbPromise: Promise<IDBDatabase> | undefined;

function openDatabase(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(
      new StorageError('UNAVAILABLE', 'IndexedDB is not available here (private browsing or an old browser?), so models cannot be cached.'),
    );
  }
  return new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, SCHEMA_VERSION);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      const tx = request.transaction!;
      for (let v = event.oldVersion; v < SCHEMA_VERSION; v++) MIGRATIONS[v](db, tx);
    };
    request.onblocked = () => {
      // Another tab keeps an older version open and did not close it; our own tabs close on versionchange.
      reject(
        new StorageError('UNAVAILABLE', 'The model cache is being upgraded but another tab of this app keeps the old version open. Close or reload the other tabs.'),
      );
    };
    request.onerror = () => {
      const e = request.error;
      reject(
        e?.name === 'VersionError'
          ? new StorageError(
              'UNAVAILABLE',
              `The model cache was written by a newer version of this app (schema newer than ${SCHEMA_VERSION}). Reload the page to get the new version.`,
              { schema: SCHEMA_VERSION },
            )
          : new StorageError('UNAVAILABLE', `Could not open the model cache (IndexedDB): ${e?.name ?? 'error'} ${e?.message ?? ''}`.trim()),
      );
    };
    request.onsuccess = () => {
      const db = request.result;
      // Let a newer tab upgrade the schema: close, and reopen (at our version) on next use.
      db.onversionchange = () => {
        db.close();
        dbPromise = undefined;
      };
      db.onclose = () => {
        dbPromise = undefined;
      };
      resolve(db);
    };
  });
}

function database(): Promise<IDBDatabase> {
  dbPromise ??= openDatabase().catch((e) => {
    dbPromise = undefined;
    throw e;
  });
  return dbPromise;
}

/** Closes this realm's connection (tests, and before deleting the database). */
export async function closeDatabase(): Promise<void> {
  const p = dbPromise;
  dbPromise = undefined;
  if (p) (await p.catch(() => undefined))?.close();
}

/** An idb-keyval store on one object store of our versioned database; reopens once if the connection closed. */
function objectStore(name: string): UseStore {
  return async (mode, callback) => {
    let db = await database();
    let tx: IDBTransaction;
    try {
      tx = db.transaction(name, mode);
    } catch (e) {
      if ((e as DOMException).name !== 'InvalidStateError') throw e;
      dbPromise = undefined;
      db = await database();
      tx = db.transaction(name, mode);
    }
    return callback(tx.objectStore(name));
  };
}

const models = objectStore(MODELS);
const chunks = objectStore(CHUNKS);
const packedManifests = objectStore(PACKED_MANIFESTS);
const packedParts = objectStore(PACKED_PARTS);
const chunkRange = (id: string) => IDBKeyRange.bound([id, 0], [id, Infinity]);

/** Writes a Blob (fast to read back); a failed Blob write other than quota is retried as a Uint8Array value. */
function putBytes(store: UseStore, key: IDBValidKey, bytes: Uint8Array, asBlob: boolean, onFallback: () => void): Promise<void> {
  // A view into a larger buffer would store the whole buffer: store exactly these bytes.
  const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof (globalThis.SharedArrayBuffer ?? class {})) ? bytes : bytes.slice();
  if (!asBlob) return set(key, exact, store);
  return set(key, new Blob([exact as Uint8Array<ArrayBuffer>]), store).catch((e: unknown) => {
    if ((e as { name?: string })?.name === 'QuotaExceededError') throw e;
    onFallback();
    return set(key, exact, store);
  });
}

async function getBytes(store: UseStore, key: IDBValidKey): Promise<Uint8Array | undefined> {
  const v = await get<Uint8Array | ArrayBuffer | Blob>(key, store);
  if (v === undefined || v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return new Uint8Array(await v.arrayBuffer());
}

/** The packed-weight caches in IndexedDB (written like chunks: Blobs, Uint8Array on a failed Blob write). */
class IdbPackedStore implements PackedWeightsStore {
  constructor(
    private readonly asBlob: boolean,
    private readonly onFallback: () => void,
  ) {}
  getManifest(id: string) {
    return get<unknown>(id, packedManifests);
  }
  putManifest(id: string, manifest: unknown) {
    return set(id, manifest, packedManifests);
  }
  deleteManifest(id: string) {
    return del(id, packedManifests);
  }
  getPart(id: string, index: number) {
    return getBytes(packedParts, [id, index]);
  }
  putPart(id: string, index: number, bytes: Uint8Array) {
    return putBytes(packedParts, [id, index], bytes, this.asBlob, this.onFallback);
  }
  deleteParts(id: string) {
    return packedParts('readwrite', (s) => {
      s.delete(chunkRange(id));
      return promisifyRequest(s.transaction);
    });
  }
  partCount(id: string) {
    return packedParts('readonly', (s) => promisifyRequest(s.count(chunkRange(id))));
  }
  async owners() {
    const keys = await packedParts('readonly', (s) => promisifyRequest(s.getAllKeys()));
    const ids = await packedManifests('readonly', (s) => promisifyRequest(s.getAllKeys()));
    return [...new Set([...ids.map(String), ...keys.map((k) => (k as [string, number])[0])])];
  }
}

export interface IdbModelStoreOptions {
  /**
   * How chunk values are written: 'blob' (the default: fast reads, and small reads slice just their bytes; a
   * failed Blob write falls back to a Uint8Array value) or 'bytes' (Uint8Array values only). Reading understands
   * both, so a cache may mix them.
   */
  readonly chunkValues?: 'bytes' | 'blob';
}

export class IdbModelStore implements ModelStore {
  readonly sliceableChunks: boolean;
  /** Blob writes that failed and were stored as Uint8Array instead (diagnostics). */
  blobFallbacks = 0;
  readonly packed: PackedWeightsStore;
  constructor(private readonly options: IdbModelStoreOptions = {}) {
    this.sliceableChunks = (options.chunkValues ?? 'blob') === 'blob';
    this.packed = new IdbPackedStore(this.sliceableChunks, () => this.blobFallbacks++);
  }
  async getRecord(id: string) {
    const r = await get<ModelRecord>(id, models);
    return r && upgradeRecord(r);
  }
  putRecord(record: ModelRecord) {
    return set(record.id, record, models);
  }
  deleteRecord(id: string) {
    return del(id, models);
  }
  listRecords() {
    return models('readonly', (s) => promisifyRequest(s.getAll() as IDBRequest<ModelRecord[]>)).then((rs) => rs.map(upgradeRecord));
  }
  putChunk(id: string, index: number, bytes: Uint8Array): Promise<void> {
    return putBytes(chunks, [id, index], bytes, this.sliceableChunks, () => this.blobFallbacks++);
  }
  async chunkIndices(id: string) {
    const keys = await chunks('readonly', (s) => promisifyRequest(s.getAllKeys(chunkRange(id))));
    return keys.map((k) => (k as [string, number])[1]);
  }
  getChunk(id: string, index: number) {
    return getBytes(chunks, [id, index]);
  }
  async readChunkRange(id: string, index: number, from: number, to: number) {
    const v = await get<Uint8Array | ArrayBuffer | Blob>([id, index], chunks);
    if (v === undefined) return undefined;
    if (v instanceof Blob) return new Uint8Array(await v.slice(from, to).arrayBuffer());
    return (v instanceof ArrayBuffer ? new Uint8Array(v) : v).slice(from, to);
  }
  deleteChunks(id: string, indices?: readonly number[]) {
    if (indices) return delMany(indices.map((i) => [id, i]), chunks);
    return chunks('readwrite', (s) => {
      s.delete(chunkRange(id));
      return promisifyRequest(s.transaction);
    });
  }
  async chunkOwners() {
    const keys = await chunks('readonly', (s) => promisifyRequest(s.getAllKeys()));
    return [...new Set(keys.map((k) => (k as [string, number])[0]))];
  }
}

let defaultStore: IdbModelStore | undefined;
/** The browser's model cache. */
export function idbModelStore(): IdbModelStore {
  return (defaultStore ??= new IdbModelStore());
}
