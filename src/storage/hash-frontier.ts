// The whole-file SHA-256 of a chunked download, computed as the stored prefix grows (no second pass): stored chunks
// are fed to an incremental hash in file order, from memory while they fit in a bounded buffer, otherwise read back
// from the store. A saved hash state resumes it when every chunk that state covers is still stored.
import { chunkCount, chunkRange } from './chunk-plan.js';
import { StorageError } from './errors.js';
import type { ModelStore } from './model-store.js';
import { IncrementalSha256, type Sha256Checkpoint } from './sha256-state.js';

export interface HashFrontierOptions {
  readonly id: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly store: ModelStore;
  readonly isStored: (i: number) => boolean;
  /** Completed chunks kept in memory until the hash reaches them; beyond this they are read back. */
  readonly bufferBytes: number;
  /** Saved hash state to resume from; ignored unless it sits on a stored chunk boundary. */
  readonly hash?: Sha256Checkpoint;
  /** Called (serially) after each chunk is hashed, with a state that can be saved for a later resume. */
  readonly onCheckpoint?: (cp: Sha256Checkpoint) => Promise<void>;
  /** Called after each chunk is hashed (progress). */
  readonly onHashed: () => void;
  /** Whether the download has failed: the hash then stops. */
  readonly failed: () => boolean;
  /** The hash's own failure (a chunk read back vanished, a checkpoint could not be saved). */
  readonly onError: (e: unknown) => void;
}

export class HashFrontier {
  private readonly count: number;
  private readonly hasher: IncrementalSha256;
  // Chunks [0, frontier) are in the hasher.
  private frontier = 0;
  private readonly pending = new Map<number, Uint8Array>();
  private pendingBytes = 0;
  private pumping: Promise<void> | undefined;
  private pumpActive = false;
  private waiters: Array<() => void> = [];
  /** Bytes read back from the store to hash (0 unless chunks did not fit in the buffer or a resume lost its state). */
  rereadBytes = 0;

  constructor(private readonly o: HashFrontierOptions) {
    this.count = chunkCount(o.size, o.chunkBytes);
    // Resume the hash from a saved state only if every chunk it covers is still stored.
    const cp = o.hash;
    const cpChunks = cp && cp.bytes % o.chunkBytes === 0 ? cp.bytes / o.chunkBytes : cp?.bytes === o.size ? this.count : -1;
    let resumed: IncrementalSha256 | undefined;
    if (cp && cpChunks >= 0 && cpChunks <= this.count && Array.from({ length: cpChunks }, (_, i) => i).every((i) => o.isStored(i))) {
      try {
        resumed = IncrementalSha256.fromCheckpoint(cp);
        this.frontier = cpChunks;
      } catch {
        resumed = undefined;
      }
    }
    this.hasher = resumed ?? IncrementalSha256.create();
  }

  /** Bytes hashed so far (the verified prefix). */
  get hashedBytes(): number {
    return Math.min(this.o.size, this.frontier * this.o.chunkBytes);
  }

  /** The hash is the slow part: its next chunk is stored and the buffer is full. */
  get backedUp(): boolean {
    return this.pendingBytes >= this.o.bufferBytes && this.o.isStored(this.frontier);
  }

  /** Resolves when the hash moves on by a chunk (or wake() is called). */
  waitForProgress(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Chunk i was just stored: keep its bytes for the hash if the buffer has room (else it is read back later). */
  keep(i: number, bytes: Uint8Array): void {
    if (i >= this.frontier && this.pendingBytes + bytes.byteLength <= this.o.bufferBytes) {
      this.pending.set(i, bytes);
      this.pendingBytes += bytes.byteLength;
    }
  }

  /** Feeds stored chunks to the hash in file order, one pump at a time. */
  pump(): void {
    if (this.pumpActive) return;
    if (this.frontier >= this.count || !this.o.isStored(this.frontier)) return;
    this.pumpActive = true;
    this.pumping = (async () => {
      try {
        await Promise.resolve(); // always asynchronous, so `pumping` is set before the loop can finish
        while (!this.o.failed() && this.frontier < this.count && this.o.isStored(this.frontier)) {
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
          this.wake();
          const cp = this.hasher.checkpoint();
          if (cp && this.o.onCheckpoint) await this.o.onCheckpoint(cp);
          this.o.onHashed();
        }
      } catch (e) {
        this.o.onError(e);
      } finally {
        this.pumpActive = false;
      }
      // A chunk may have been stored while the last one was being hashed.
      if (!this.o.failed()) this.pump();
    })();
  }

  /** Once every chunk is stored: hashes whatever the pump has not reached yet; returns early if the download failed. */
  async drain(): Promise<void> {
    while (this.frontier < this.count) {
      this.pump();
      await this.pumping;
      if (this.o.failed()) return;
    }
  }

  digestHex(): string {
    return this.hasher.digestHex();
  }

  private async readBack(i: number): Promise<Uint8Array> {
    const expected = chunkRange(this.o.size, this.o.chunkBytes, i).length;
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
