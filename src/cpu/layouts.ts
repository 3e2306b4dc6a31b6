// Repacks ggml weights into the CPU kernels' layouts (once, at load): rows in groups of four, and per group the
// 32-column blocks one after another, each holding the four rows' f32 scales (and offsets), then their codes.
// Q4 codes keep ggml's nibble order (low nibble = column j, high = column j + 16 of the block).
import { f16ToF32Table } from '../gguf/half.js';
import { GgmlType } from '../gguf/types.js';
import { decodeRows, unpackScalesMins, type DecodedRows } from './ggml-codes.js';
import { BLOCK_BYTES, type LayoutFormat } from './wat/kernels-wat.js';

/**
 * Version of the packed byte layout written by packGgml (bump on any change to what a format's bytes mean). Caches
 * of repacked weights (cpu/packed-image.ts) key on it together with BLOCK_BYTES, so a stale cache is never read.
 */
export const PACKED_LAYOUT_VERSION = 2;

export interface PackedLayout {
  readonly format: LayoutFormat;
  readonly rows: number;
  readonly cols: number;
  /** Row groups of four (the last one padded with zero rows). */
  readonly groups: number;
  readonly bytes: Uint8Array;
}

export function packedByteSize(format: LayoutFormat, rows: number, cols: number): number {
  return Math.ceil(rows / 4) * (cols / 32) * BLOCK_BYTES[format];
}

/** One packing's output: `out` (or a new array) cut to the layout's size, with an f32 view for the scales. */
interface LayoutTarget {
  readonly groups: number;
  /** 32-column blocks per row. */
  readonly nb: number;
  /** Bytes of one (row group, block). */
  readonly bb: number;
  readonly bytes: Uint8Array;
  readonly f32: Float32Array;
}

/**
 * `zero`: 'all' clears every byte (a packer that skips some), 'padding' only when the last row group is padded
 * with zero rows (a packer that writes every byte of the real rows).
 */
function layoutTarget(format: LayoutFormat, rows: number, cols: number, out: Uint8Array | undefined, zero: 'all' | 'padding'): LayoutTarget {
  const groups = Math.ceil(rows / 4);
  const nb = cols / 32;
  const bb = BLOCK_BYTES[format];
  const size = packedByteSize(format, rows, cols);
  const bytes = out ? out.subarray(0, size) : new Uint8Array(size);
  if (bytes.length < size) throw new RangeError(`packGgml: output holds ${bytes.length} bytes, ${size} needed`);
  if (zero === 'all' || rows % 4 !== 0) bytes.fill(0);
  return { groups, nb, bb, bytes, f32: new Float32Array(bytes.buffer, bytes.byteOffset, size / 4) };
}

/** The 32-element block types whose codes are already in the layout's byte order (Q4_0/Q4_1 nibbles, Q8_0 bytes). */
interface Block32Type {
  readonly format: LayoutFormat;
  /** Bytes of one ggml block, and where its codes start (after the f16 scale, and the f16 min if `hasMin`). */
  readonly blockBytes: number;
  readonly codesIn: number;
  /** Code bytes per row of one block: 16 nibble pairs or 32 signed bytes. */
  readonly codeBytes: number;
  readonly hasMin: boolean;
}

const BLOCK32_TYPES: Partial<Record<GgmlType, Block32Type>> = {
  [GgmlType.Q4_0]: { format: 'q4s', blockBytes: 18, codesIn: 2, codeBytes: 16, hasMin: false },
  [GgmlType.Q4_1]: { format: 'q4o', blockBytes: 20, codesIn: 4, codeBytes: 16, hasMin: true },
  [GgmlType.Q8_0]: { format: 'i8', blockBytes: 34, codesIn: 2, codeBytes: 32, hasMin: false },
};

/** Writes one row's super-block at `o` of the ggml bytes into its 256 / 32 = 8 blocks of the layout. */
type SuperBlockPacker = (bytes: Uint8Array, o: number, t: Float32Array, target: LayoutTarget, firstBlock: number, r: number) => void;

/** The K-quants of the common mixes, packed one 256-element super-block at a time straight into the layout. */
interface SuperBlockType {
  readonly format: LayoutFormat;
  readonly superBlockBytes: number;
  readonly pack: SuperBlockPacker;
}

const SUPER_BLOCK_TYPES: Partial<Record<GgmlType, SuperBlockType>> = {
  [GgmlType.Q4_K]: { format: 'q4o', superBlockBytes: 144, pack: packQ4KSuperBlock },
  [GgmlType.Q6_K]: { format: 'u8g16', superBlockBytes: 210, pack: packQ6KSuperBlock },
};

/** Repacks rows x cols of a ggml tensor (its raw bytes) into `out` (or a new array). */
export function packGgml(type: GgmlType, bytes: Uint8Array, rows: number, cols: number, out?: Uint8Array): PackedLayout {
  if (cols % 32 !== 0) throw new RangeError(`packGgml: ${cols} columns is not a multiple of 32`);
  const block32 = BLOCK32_TYPES[type];
  if (block32) return packBlocks32(block32, bytes, rows, cols, out);
  const superBlocks = SUPER_BLOCK_TYPES[type];
  if (superBlocks) return packSuperBlocks(superBlocks, bytes, rows, cols, out);
  return packDecoded(decodeRows(type, bytes, rows, cols), rows, cols, out);
}

/**
 * Fast path for the Block32Type types: copy the codes, convert the f16 scale (and min). Same bytes as the generic
 * path (tested).
 */
function packBlocks32(type: Block32Type, bytes: Uint8Array, rows: number, cols: number, out?: Uint8Array): PackedLayout {
  const { format, blockBytes: srcBlock, codesIn, codeBytes, hasMin } = type;
  const { groups, nb, bb, bytes: dst, f32 } = layoutTarget(format, rows, cols, out, 'padding');
  const t = f16ToF32Table();
  const codesAt = hasMin ? 32 : 16;
  for (let row = 0; row < rows; row++) {
    const g = row >> 2;
    const r = row & 3;
    let src = row * nb * srcBlock;
    let base = g * nb * bb;
    for (let b = 0; b < nb; b++, src += srcBlock, base += bb) {
      f32[(base >> 2) + r] = t[bytes[src] | (bytes[src + 1] << 8)];
      if (hasMin) f32[(base >> 2) + 4 + r] = t[bytes[src + 2] | (bytes[src + 3] << 8)];
      // A plain loop: a subarray per block would allocate millions of views (GC dominated the load).
      const from = src + codesIn;
      const to = base + codesAt + codeBytes * r;
      for (let j = 0; j < codeBytes; j++) dst[to + j] = bytes[from + j];
    }
  }
  return { format, rows, cols, groups, bytes: dst };
}

export function packDecoded(d: DecodedRows, rows: number, cols: number, out?: Uint8Array): PackedLayout {
  const format = d.format;
  const { groups, nb, bb, bytes, f32 } = layoutTarget(format, rows, cols, out, 'all');
  const perRowGroups = cols / d.group;
  for (let g = 0; g < groups; g++) {
    for (let b = 0; b < nb; b++) {
      const base = (g * nb + b) * bb;
      for (let r = 0; r < 4; r++) {
        const row = 4 * g + r;
        if (row >= rows) continue;
        if (format === 'f32') {
          for (let c = 0; c < 32; c++) {
            const k = c >> 2;
            f32[(base + 64 * k + 16 * r + 4 * (c & 3)) / 4] = d.values![row * cols + 32 * b + c];
          }
          continue;
        }
        const at = (sub: number) => row * perRowGroups + (32 * b) / d.group + sub;
        const subs = 32 / d.group;
        for (let s = 0; s < subs; s++) {
          f32[base / 4 + 4 * s + r] = d.scales[at(s)];
          if (d.offsets) f32[base / 4 + 4 * subs + 4 * s + r] = d.offsets[at(s)];
        }
        const codesAt = base + (d.offsets ? 32 : 16 * subs);
        const src = row * cols + 32 * b;
        if (format === 'q4s' || format === 'q4o') {
          for (let j = 0; j < 16; j++) bytes[codesAt + 16 * r + j] = d.codes[src + j] | (d.codes[src + j + 16] << 4);
        } else {
          for (let j = 0; j < 32; j++) bytes[codesAt + 32 * r + j] = d.codes[src + j] & 255;
        }
      }
    }
  }
  return { format, rows, cols, groups, bytes };
}

/**
 * Fast path for Q4_K (-> q4o) and Q6_K (-> u8g16): one pass per super-block straight into the layout. Same bytes as
 * the generic path (tested).
 */
function packSuperBlocks(type: SuperBlockType, bytes: Uint8Array, rows: number, cols: number, out?: Uint8Array): PackedLayout {
  const { format, superBlockBytes: sbBytes, pack: packSuperBlock } = type;
  const target = layoutTarget(format, rows, cols, out, 'padding');
  const t = f16ToF32Table();
  const nsb = cols / 256;
  for (let row = 0; row < rows; row++) {
    const r = row & 3;
    const firstBlock = (row >> 2) * target.nb;
    for (let sb = 0; sb < nsb; sb++) packSuperBlock(bytes, (row * nsb + sb) * sbBytes, t, target, firstBlock + 8 * sb, r);
  }
  return { format, rows, cols, groups: target.groups, bytes: target.bytes };
}

const kSc = new Uint8Array(8);
const kMn = new Uint8Array(8);
const q6Codes = new Uint8Array(256);

/** Q4_K: d and dmin times the 6-bit scales and mins per 32; nibbles regrouped so a block's 32 codes share bytes. */
function packQ4KSuperBlock(bytes: Uint8Array, o: number, t: Float32Array, target: LayoutTarget, firstBlock: number, r: number): void {
  const { bb, bytes: dst, f32 } = target;
  const d = t[bytes[o] | (bytes[o + 1] << 8)];
  const dmin = t[bytes[o + 2] | (bytes[o + 3] << 8)];
  unpackScalesMins(bytes, o + 4, kSc, kMn);
  for (let sub = 0; sub < 8; sub++) {
    const base = (firstBlock + sub) * bb;
    f32[(base >> 2) + r] = Math.fround(d * kSc[sub]);
    f32[(base >> 2) + 4 + r] = -Math.fround(dmin * kMn[sub]);
    const qs = o + 16 + 32 * (sub >> 1);
    const at = base + 32 + 16 * r;
    if (sub & 1) for (let j = 0; j < 16; j++) dst[at + j] = (bytes[qs + j] >> 4) | (bytes[qs + j + 16] & 0xf0);
    else for (let j = 0; j < 16; j++) dst[at + j] = (bytes[qs + j] & 15) | ((bytes[qs + j + 16] & 15) << 4);
  }
}

/** Q6_K: the unsigned 6-bit codes as bytes (value = scale * (code - 32)), one scale per 16 columns (d times the i8 scale). */
function packQ6KSuperBlock(bytes: Uint8Array, o: number, t: Float32Array, target: LayoutTarget, firstBlock: number, r: number): void {
  const { bb, bytes: dst, f32 } = target;
  const d = t[bytes[o + 208] | (bytes[o + 209] << 8)];
  for (let h = 0; h < 2; h++) {
    const ql = o + 64 * h;
    const qh = o + 128 + 32 * h;
    const y = 128 * h;
    for (let l = 0; l < 32; l++) {
      const lo = bytes[ql + l];
      const hi = bytes[ql + l + 32];
      const bits = bytes[qh + l];
      q6Codes[y + l] = (lo & 15) | ((bits & 3) << 4);
      q6Codes[y + l + 32] = (hi & 15) | (((bits >> 2) & 3) << 4);
      q6Codes[y + l + 64] = (lo >> 4) | (((bits >> 4) & 3) << 4);
      q6Codes[y + l + 96] = (hi >> 4) | (((bits >> 6) & 3) << 4);
    }
  }
  for (let b = 0; b < 8; b++) {
    const base = (firstBlock + b) * bb;
    f32[(base >> 2) + r] = Math.fround(d * ((bytes[o + 192 + 2 * b] << 24) >> 24));
    f32[(base >> 2) + 4 + r] = Math.fround(d * ((bytes[o + 193 + 2 * b] << 24) >> 24));
    const at = base + 32 + 32 * r;
    for (let j = 0; j < 32; j++) dst[at + j] = q6Codes[32 * b + j];
  }
}

/** Reads rows [first, first + count) of a packed layout back to f32 (embedding gathers; tests' reference). */
export function unpackRows(layout: PackedLayout, first: number, count: number, out = new Float32Array(count * layout.cols)): Float32Array {
  const { format, cols, bytes } = layout;
  const nb = cols / 32;
  const bb = BLOCK_BYTES[format];
  const f32 = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4));
  const i8 = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const group = format === 'u8g16' ? 16 : 32;
  const subs = 32 / group;
  const hasOffsets = format === 'q4o' || format === 'u8o';
  for (let i = 0; i < count; i++) {
    const row = first + i;
    const g = row >> 2;
    const r = row & 3;
    for (let b = 0; b < nb; b++) {
      const base = (g * nb + b) * bb;
      const y = i * cols + 32 * b;
      if (format === 'f32') {
        for (let c = 0; c < 32; c++) out[y + c] = f32[(base + 64 * (c >> 2) + 16 * r + 4 * (c & 3)) / 4];
        continue;
      }
      const codesAt = base + (hasOffsets ? 32 : 16 * subs);
      for (let c = 0; c < 32; c++) {
        const s = Math.floor(c / group);
        const scale = f32[base / 4 + 4 * s + r];
        const offset = format === 'q4s' ? -8 * scale : hasOffsets ? f32[base / 4 + 4 * subs + 4 * s + r] : 0;
        let q: number;
        if (format === 'q4s' || format === 'q4o') {
          const byte = bytes[codesAt + 16 * r + (c & 15)];
          q = c < 16 ? byte & 15 : byte >> 4;
        } else {
          q = format === 'i8' ? i8[codesAt + 32 * r + c] : bytes[codesAt + 32 * r + c];
        }
        // u8g16: scale * (code - 32) in one rounding, ggml's Q6_K value.
        out[y + c] = format === 'u8g16' ? Math.fround(scale * (q - 32)) : Math.fround(Math.fround(scale * q) + offset);
      }
    }
  }
  return out;
}
