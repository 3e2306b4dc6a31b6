// Incremental SHA-256 (@noble/hashes) whose state can be saved at 64-byte boundaries and restored after a page
// reload, so a resumed download goes on hashing where it stopped instead of reading gigabytes back.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** The hash state after `bytes` bytes (a multiple of 64): the eight 32-bit chaining words. */
export interface Sha256Checkpoint {
  readonly bytes: number;
  readonly words: readonly number[];
}

type Hasher = ReturnType<typeof sha256.create>;
// noble's SHA-256 keeps its chaining words behind get()/set() and counts bytes in `length`; with nothing buffered
// (`pos` 0) those are the whole state. This is the only place that relies on it, guarded by a self-test below.
interface HasherInternals {
  get(): number[];
  set(...words: number[]): void;
  length: number;
  pos: number;
}
const internals = (h: Hasher) => h as unknown as HasherInternals;

let checkpointsWork: boolean | undefined;
/** Whether saving and restoring noble's SHA-256 state works with the installed version (checked once). */
export function checkpointsSupported(): boolean {
  if (checkpointsWork === undefined) {
    try {
      const data = Uint8Array.from({ length: 200 }, (_, i) => (i * 31 + 7) & 255);
      const a = IncrementalSha256.fromInternals(data.subarray(0, 128));
      const cp = a.exportState();
      const b = IncrementalSha256.fromCheckpoint(cp);
      b.update(data.subarray(128));
      checkpointsWork = cp.bytes === 128 && b.digestHex() === bytesToHex(sha256(data));
    } catch {
      checkpointsWork = false;
    }
  }
  return checkpointsWork;
}

export class IncrementalSha256 {
  private constructor(private readonly hasher: Hasher) {}

  static create(): IncrementalSha256 {
    return new IncrementalSha256(sha256.create());
  }

  /** Used by the self-test: a hasher fed with `data`, without going through the support check. */
  static fromInternals(data: Uint8Array): IncrementalSha256 {
    const h = new IncrementalSha256(sha256.create());
    h.update(data);
    return h;
  }

  /** Restores a saved state; throws if the state is malformed or restoring is not supported. */
  static fromCheckpoint(cp: Sha256Checkpoint): IncrementalSha256 {
    if (
      !Number.isSafeInteger(cp.bytes) ||
      cp.bytes < 0 ||
      cp.bytes % 64 !== 0 ||
      cp.words.length !== 8 ||
      !cp.words.every((w) => Number.isInteger(w) && w >= -0x80000000 && w <= 0xffffffff)
    ) {
      throw new Error('Malformed SHA-256 checkpoint.');
    }
    const h = sha256.create();
    const i = internals(h);
    if (typeof i.set !== 'function' || typeof i.get !== 'function') throw new Error('SHA-256 state cannot be restored.');
    i.set(...cp.words);
    i.length = cp.bytes;
    i.pos = 0;
    return new IncrementalSha256(h);
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return internals(this.hasher).length;
  }

  update(data: Uint8Array): void {
    this.hasher.update(data);
  }

  /** The state now; only valid when the bytes hashed so far are a multiple of 64. */
  exportState(): Sha256Checkpoint {
    const i = internals(this.hasher);
    if (i.pos !== 0 || i.length % 64 !== 0) throw new Error('SHA-256 state can only be saved at a 64-byte boundary.');
    return { bytes: i.length, words: [...i.get()] };
  }

  /** The state now, or undefined when it cannot be saved (not at a 64-byte boundary, or unsupported). */
  checkpoint(): Sha256Checkpoint | undefined {
    if (!checkpointsSupported()) return undefined;
    const i = internals(this.hasher);
    return i.pos === 0 && i.length % 64 === 0 ? this.exportState() : undefined;
  }

  /** Finishes the hash: lower-case hex. The object cannot be used afterwards. */
  digestHex(): string {
    return bytesToHex(this.hasher.digest());
  }
}

/** One-shot SHA-256 in hex (small inputs, tests). */
export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256(data));
}
