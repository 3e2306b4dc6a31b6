// A cache of the repacked CPU weights: the packed matrices of one load, one after another as an "image" cut into
// fixed-size parts, plus a manifest (tensor -> offset, bytes, format, shape; a checksum per part). Where it lives is
// the store's business (storage/packed-store.ts keeps it in IndexedDB next to the model file); this file says what
// a valid image is, reads tensors back out of one straight into wasm memory, and writes one.
// Trust rules: the manifest is written last and dropped first, so parts without a manifest are never read; a
// manifest is only used when its layout key and model identity match; every part's size and checksum are checked
// on read, and any mismatch makes the loader repack from the file instead (cpu-weights.ts).
import { PACKED_LAYOUT_VERSION } from './layouts.js';
import { BLOCK_BYTES, type LayoutFormat } from './wat/kernels-wat.js';

/** Bytes per stored part: big enough that IndexedDB overhead is small, small enough to stay a modest transient. */
export const PACKED_PART_BYTES = 16 << 20;

/** Which file an image was packed from; a mismatch on any field means the image is stale. */
export interface PackedImageIdentity {
  readonly modelId: string;
  readonly size: number;
  readonly sha256?: string;
}

export interface PackedTensorEntry {
  readonly name: string;
  readonly format: LayoutFormat;
  readonly rows: number;
  readonly cols: number;
  /** Byte offset in the image. */
  readonly offset: number;
  readonly bytes: number;
}

export interface PackedImageManifest {
  readonly kind: 'gemma4-cpu-packed';
  /** packedLayoutKey() of the writer. */
  readonly layout: string;
  readonly identity: PackedImageIdentity;
  readonly partBytes: number;
  readonly totalBytes: number;
  /** checksum32 of each part, in order (their count is the part count). */
  readonly checksums: readonly number[];
  readonly tensors: readonly PackedTensorEntry[];
  readonly createdAt: number;
}

/** One model's packed-image storage (bound to the model by whoever creates it). */
export interface PackedImageStore {
  /** The stored manifest as stored (validated by the caller), or undefined. */
  readManifest(): Promise<unknown>;
  /** The bytes of part `index`, or undefined when it is not stored. */
  readPart(index: number): Promise<Uint8Array | undefined>;
  /** Before the first part of a new image: drops any old image; may throw (for example QUOTA) when `totalBytes` will not fit. */
  begin(totalBytes: number): Promise<void>;
  writePart(index: number, bytes: Uint8Array): Promise<void>;
  /** Written last: from then on the image is trusted. */
  writeManifest(manifest: PackedImageManifest): Promise<void>;
  /** Drops the manifest, then the parts. */
  drop(): Promise<void>;
}

/** The layout an image was packed in: the layout version plus the block sizes, so a change to either is noticed. */
export function packedLayoutKey(): string {
  return `v${PACKED_LAYOUT_VERSION} ${JSON.stringify(BLOCK_BYTES)}`;
}

/** A fast 32-bit checksum (FNV-1a over 32-bit words, then the tail bytes): catches damaged parts, not an attacker. */
export function checksum32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  const words = bytes.byteOffset % 4 === 0 ? bytes.byteLength >>> 2 : 0;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) h = Math.imul(h ^ w[i], 16777619);
  }
  for (let i = words * 4; i < bytes.byteLength; i++) h = Math.imul(h ^ bytes[i], 16777619);
  return h >>> 0;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The manifest when it is well formed, for this layout and this file; otherwise why not. */
export function checkManifest(m: unknown, identity: PackedImageIdentity): PackedImageManifest | string {
  if (m === undefined) return 'no cached image';
  const x = m as Partial<PackedImageManifest>;
  if (typeof m !== 'object' || m === null || x.kind !== 'gemma4-cpu-packed') return 'not a packed-image manifest';
  if (x.layout !== packedLayoutKey()) return `packed in layout "${x.layout}", this build uses "${packedLayoutKey()}"`;
  const id = x.identity;
  if (!id || id.modelId !== identity.modelId || id.size !== identity.size || id.sha256 !== identity.sha256) return 'packed from another file';
  if (!isCount(x.partBytes) || x.partBytes === 0 || !isCount(x.totalBytes) || !Array.isArray(x.checksums) || !Array.isArray(x.tensors)) {
    return 'malformed manifest';
  }
  if (x.checksums.length !== Math.ceil(x.totalBytes / x.partBytes)) return 'part count does not match the image size';
  let end = 0;
  for (const t of x.tensors) {
    if (typeof t?.name !== 'string' || !(t.format in BLOCK_BYTES) || !isCount(t.rows) || !isCount(t.cols) || !isCount(t.offset) || !isCount(t.bytes)) {
      return 'malformed tensor entry';
    }
    if (t.bytes !== Math.ceil(t.rows / 4) * (t.cols / 32) * BLOCK_BYTES[t.format as LayoutFormat] || t.offset !== end) return `tensor "${t.name}" has inconsistent sizes`;
    end += t.bytes;
  }
  if (end !== x.totalBytes) return 'tensors do not add up to the image size';
  return x as PackedImageManifest;
}

/** Parts fetched ahead of the one being copied (reads in image order keep IndexedDB busy). */
const READ_AHEAD = 2;

/** Reads tensors out of a validated image, in image order, straight into caller memory; false on any damage. */
export class PackedImageReader {
  private readonly entries: Map<string, PackedTensorEntry>;
  private readonly parts = new Map<number, Promise<Uint8Array | string>>();
  /** Why the image stopped being trusted (set with the first failure). */
  failure: string | undefined;

  constructor(
    private readonly store: PackedImageStore,
    readonly manifest: PackedImageManifest,
  ) {
    this.entries = new Map(manifest.tensors.map((t) => [t.name, t]));
  }

  private part(index: number): Promise<Uint8Array | string> {
    let p = this.parts.get(index);
    if (!p) {
      const m = this.manifest;
      const want = Math.min(m.partBytes, m.totalBytes - index * m.partBytes);
      p = this.store.readPart(index).then(
        (bytes) => {
          if (!bytes) return `part ${index} is missing`;
          if (bytes.byteLength !== want) return `part ${index} holds ${bytes.byteLength} bytes, ${want} expected`;
          if (checksum32(bytes) !== m.checksums[index]) return `part ${index} is damaged (checksum)`;
          return bytes;
        },
        (e: unknown) => `part ${index} could not be read (${(e as Error)?.name ?? e})`,
      );
      this.parts.set(index, p);
    }
    return p;
  }

  /**
   * Fills `dst()` with tensor `name`'s packed bytes when the image holds it with this format and shape. `dst` is
   * called per copy: a view of wasm memory taken before an await may be detached if the memory grew meanwhile.
   */
  async readInto(name: string, format: LayoutFormat, rows: number, cols: number, dst: () => Uint8Array): Promise<boolean> {
    if (this.failure) return false;
    const e = this.entries.get(name);
    if (!e || e.format !== format || e.rows !== rows || e.cols !== cols || e.bytes !== dst().byteLength) {
      this.failure = `tensor "${name}" is not in the image as ${format} [${cols}, ${rows}]`;
      return false;
    }
    const P = this.manifest.partBytes;
    const first = Math.floor(e.offset / P);
    const last = Math.floor((e.offset + e.bytes - 1) / P);
    for (const i of this.parts.keys()) if (i < first) this.parts.delete(i);
    for (let i = first; i <= last; i++) {
      for (let j = i + 1; j <= i + READ_AHEAD && j < this.manifest.checksums.length; j++) void this.part(j);
      const bytes = await this.part(i);
      if (typeof bytes === 'string') {
        this.failure = bytes;
        return false;
      }
      const from = Math.max(e.offset, i * P);
      const to = Math.min(e.offset + e.bytes, (i + 1) * P);
      dst().set(bytes.subarray(from - i * P, to - i * P), from - e.offset);
      if (to === (i + 1) * P) this.parts.delete(i);
    }
    return true;
  }

  /** Drops the parts held in memory. */
  close(): void {
    this.parts.clear();
  }
}

/** One packed matrix to write: its place in the image and a view of its bytes (read when its turn comes). */
export interface PackedImageSourceTensor {
  readonly name: string;
  readonly format: LayoutFormat;
  readonly rows: number;
  readonly cols: number;
  readonly bytes: number;
  view(): Uint8Array;
}

/**
 * Writes an image: drops the old one (begin), then every part, then the manifest. A failure leaves no manifest, so
 * nothing half-written is ever trusted; the caller drops the parts. `partBytes` is for tests.
 */
export async function writePackedImage(
  store: PackedImageStore,
  identity: PackedImageIdentity,
  tensors: readonly PackedImageSourceTensor[],
  options: {
    readonly partBytes?: number;
    readonly signal?: { readonly aborted: boolean };
    /** Awaited before each part is gathered (the engine waits here while a request runs). */
    readonly beforePart?: () => Promise<void>;
  } = {},
): Promise<PackedImageManifest> {
  const P = options.partBytes ?? PACKED_PART_BYTES;
  const entries: PackedTensorEntry[] = [];
  let total = 0;
  for (const t of tensors) {
    entries.push({ name: t.name, format: t.format, rows: t.rows, cols: t.cols, offset: total, bytes: t.bytes });
    total += t.bytes;
  }
  await store.begin(total);
  const checksums: number[] = [];
  // One part buffer, refilled after each write completed (stores copy what they keep: Blob, structured clone).
  let part = new Uint8Array(Math.min(P, total));
  let fill = 0;
  const flush = async () => {
    if (options.signal?.aborted) throw new DOMException('The packed-image write was cancelled.', 'AbortError');
    const bytes = part.subarray(0, fill);
    checksums.push(checksum32(bytes));
    await store.writePart(checksums.length - 1, bytes);
    fill = 0;
    const left = total - checksums.length * P;
    if (left > 0 && left < part.length) part = new Uint8Array(left);
  };
  for (const t of tensors) {
    let done = 0;
    while (done < t.bytes) {
      if (fill === 0 && options.beforePart) await options.beforePart();
      const n = Math.min(t.bytes - done, part.length - fill);
      // The view is taken per copy: wasm memory may have grown (a new buffer) while a write was awaited.
      const view = t.view();
      if (view.byteLength !== t.bytes) throw new RangeError(`packed tensor "${t.name}" is ${view.byteLength} bytes, ${t.bytes} expected`);
      part.set(view.subarray(done, done + n), fill);
      fill += n;
      done += n;
      if (fill === part.length) await flush();
    }
  }
  if (fill > 0) await flush();
  const manifest: PackedImageManifest = {
    kind: 'gemma4-cpu-packed',
    layout: packedLayoutKey(),
    identity: { modelId: identity.modelId, size: identity.size, ...(identity.sha256 !== undefined ? { sha256: identity.sha256 } : {}) },
    partBytes: P,
    totalBytes: total,
    checksums,
    tensors: entries,
    createdAt: Date.now(),
  };
  await store.writeManifest(manifest);
  return manifest;
}
