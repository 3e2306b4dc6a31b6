// Weight matrices on the GPU: a GGUF tensor's ggml blocks repacked, exactly, into 4-byte-aligned
// structure-of-arrays "planes" that matvec, matmul and embed-gather decode, split into row ranges so no
// buffer exceeds the context's storage binding limit.
//
// Layout (per part of R rows, K = cols): a row is cut into blocks (32 elements; 256 for K-quants; 32 for
// float types, the last one zero-padded when K % 32 != 0), a block into 32-element granules. Every array
// is [block][plane][row] of fixed-size units, so the threads of a workgroup, one per row, read adjacent
// units (coalesced), and one granule of 4-bit codes is one vec4<u32>. Unit sizes and plane counts are in
// LAYOUTS below; the WGSL decoders are shaders/lib/weight-*.wgsl, mirrored by unpackWeightRow here.
//
// Bit orders inside a granule (e = element 0..31 of the granule, e = 8t + 4h + i, t = word, h = half, i = byte):
//   4-bit codes (one vec4<u32>): low 4 bits of element e at bit 8i + 4h of word t
//   (so `(word >> (0, 8, 16, 24)) & 15` gives elements 8t..8t+3 and `>> (4, 12, 20, 28)` 8t+4..8t+7);
//   extra high bits, placed just above the nibbles they complete once shifted for word t (weight-common.wgsl
//   codes_lo/codes_hi join them with one mask and one or):
//   5th bits (Q5_0/Q5_1/Q5_K, one u32), s = t: lo element i at bit 8i + 4 + s, hi element i < 3 at 8i + 8 + s,
//   hi element 3 at s;
//   Q6_K top 2 bits (vec2<u32>): word t >> 1, s = 2(t & 1), the same places (2 bits each).
// f16 scales that come one per block are packed two per u32 over consecutive rows (unit = 2 bytes).
// Size: exactly the GGUF bytes, plus padding of each array to 16 bytes per part (and float rows to 32 elements).
// Decoders compute w = a * code + b (Q4_0: a = d, b = -8d), equal to ggml's d * (code - 8) (a zero may differ in sign).
import type { GpuContext } from '../gpu/context.js';
import { uploadStorageBuffer } from '../gpu/buffers.js';
import { GpuError } from '../gpu/errors.js';
import { packFloatTile, packKTile, packQ4Tile, packQ6KTile, packQ8_0Tile } from './weight-pack-tiles.js';

/** ggml tensor type numbers (the same numbering as GgmlType in src/gguf/types.ts, which kernels/ may not import). */
export const WeightType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  BF16: 30,
} as const;

export interface WeightPart {
  /** First weight row (output index) held by this part. */
  readonly firstRow: number;
  readonly rowCount: number;
  /** The packed arrays of these rows, in binding order (see LAYOUTS). */
  readonly buffers: readonly GPUBuffer[];
}

export interface GpuWeight {
  readonly name: string;
  /** ggml type number (GgmlType). */
  readonly type: number;
  /** Output features N (ggml dims[1..] multiplied). */
  readonly rows: number;
  /** Input features K (ggml dims[0]). */
  readonly cols: number;
  readonly parts: readonly WeightPart[];
  /** Bytes on the GPU, all parts together. */
  readonly byteSize: number;
}

/** The packed arrays of a run of rows, before upload. */
export interface PackedWeight {
  readonly type: number;
  readonly rows: number;
  readonly cols: number;
  /** One array per GPU buffer in binding order, each a whole number of 16-byte units. */
  readonly arrays: readonly Uint32Array[];
  readonly byteSize: number;
}

/** One packed array: per block, `planes` units of `unit` bytes for every row. */
interface ArraySpec {
  readonly planes: number;
  readonly unit: 2 | 4 | 8 | 16;
}

interface TypeLayout {
  readonly name: string;
  /** Elements per block in the packed layout (32, or 256 for K-quants). */
  readonly blockElems: number;
  /** Bytes of one ggml block in the GGUF (for float types: per element). */
  readonly ggmlBlockBytes: number;
  /** ggml elements per block (1 for float types). */
  readonly ggmlBlockElems: number;
  readonly arrays: readonly ArraySpec[];
  /** Shader snippet suffix: shaders/lib/weight-NAME.wgsl. */
  readonly shader: string;
  /** The packed array holding the type's floats (values or f16 block scales) and their format, for the NaN/Inf check. */
  readonly floats: { readonly array: number; readonly format: 'f32' | 'f16' | 'bf16'; readonly what: string };
}

/**
 * A weight holds a NaN or infinite float (a value, or an f16 block scale): the file is broken (corrupt bytes, NaN
 * weights, a tensor whose type was changed so its bytes are misread). Thrown while repacking, which reads every
 * block anyway; the model layer reports it as a bad model file.
 */
export class NonFiniteWeightError extends Error {
  override readonly name = 'NonFiniteWeightError';
  readonly code = 'NON_FINITE_WEIGHT';
  constructor(
    readonly tensor: string,
    readonly row: number,
    readonly block: number,
    readonly what: string,
  ) {
    super(
      `Tensor "${tensor}" holds a NaN or infinite ${what} (row ${row}, block ${block}): the model file is broken ` +
        '(corrupt or random bytes, NaN weights, or a tensor whose type does not match its data). Download it again or use another file.',
    );
  }
}

const L = (
  name: string,
  blockElems: number,
  ggmlBlockElems: number,
  ggmlBlockBytes: number,
  arrays: ArraySpec[],
  shader: string,
  floats: TypeLayout['floats'],
): TypeLayout => ({
  name,
  blockElems,
  ggmlBlockElems,
  ggmlBlockBytes,
  arrays,
  shader,
  floats,
});
const scale = (array: number): TypeLayout['floats'] => ({ array, format: 'f16', what: 'f16 block scale' });

/** Per type: the arrays each part holds, in binding order. */
export const LAYOUTS: ReadonlyMap<number, TypeLayout> = new Map([
  // values as vec4<f32>, 8 planes per 32-element block
  [WeightType.F32, L('F32', 32, 1, 4, [{ planes: 8, unit: 16 }], 'f32', { array: 0, format: 'f32', what: 'f32 value' })],
  // 8 halves per vec4<u32> plane, 4 planes
  [WeightType.F16, L('F16', 32, 1, 2, [{ planes: 4, unit: 16 }], 'f16', { array: 0, format: 'f16', what: 'f16 value' })],
  [WeightType.BF16, L('BF16', 32, 1, 2, [{ planes: 4, unit: 16 }], 'bf16', { array: 0, format: 'bf16', what: 'bf16 value' })],
  // int8 codes (2 planes of vec4<u32>), f16 d
  [WeightType.Q8_0, L('Q8_0', 32, 32, 34, [{ planes: 2, unit: 16 }, { planes: 1, unit: 2 }], 'q8_0', scale(1))],
  // 4-bit codes, f16 d
  [WeightType.Q4_0, L('Q4_0', 32, 32, 18, [{ planes: 1, unit: 16 }, { planes: 1, unit: 2 }], 'q4_0', scale(1))],
  // 4-bit codes, (d, m) f16 pair
  [WeightType.Q4_1, L('Q4_1', 32, 32, 20, [{ planes: 1, unit: 16 }, { planes: 1, unit: 4 }], 'q4_1', scale(1))],
  // 4-bit codes, 5th bits, f16 d
  [WeightType.Q5_0, L('Q5_0', 32, 32, 22, [{ planes: 1, unit: 16 }, { planes: 1, unit: 4 }, { planes: 1, unit: 2 }], 'q5_0', scale(2))],
  // 4-bit codes, 5th bits, (d, m)
  [WeightType.Q5_1, L('Q5_1', 32, 32, 24, [{ planes: 1, unit: 16 }, { planes: 1, unit: 4 }, { planes: 1, unit: 4 }], 'q5_1', scale(2))],
  // 4-bit codes (8 granules), (d, dmin), 3 words of 6-bit scales/mins
  [WeightType.Q4_K, L('Q4_K', 256, 256, 144, [{ planes: 8, unit: 16 }, { planes: 1, unit: 4 }, { planes: 3, unit: 4 }], 'q4_k', scale(1))],
  // 4-bit codes, 5th bits (8 granules), (d, dmin), scales/mins
  [
    WeightType.Q5_K,
    L('Q5_K', 256, 256, 176, [{ planes: 8, unit: 16 }, { planes: 8, unit: 4 }, { planes: 1, unit: 4 }, { planes: 3, unit: 4 }], 'q5_k', scale(2)),
  ],
  // low 4 bits, top 2 bits (vec2<u32>), 16 int8 scales (4 words), f16 d
  [
    WeightType.Q6_K,
    L('Q6_K', 256, 256, 210, [{ planes: 8, unit: 16 }, { planes: 8, unit: 8 }, { planes: 4, unit: 4 }, { planes: 1, unit: 2 }], 'q6_k', scale(3)),
  ],
]);

export function weightLayout(type: number, name = '(unnamed tensor)'): TypeLayout {
  const layout = LAYOUTS.get(type);
  if (!layout) {
    throw new Error(`Tensor "${name}" has ggml type ${type}, which the GPU kernels cannot read.`);
  }
  return layout;
}

/** Packed blocks per row (float types: ceil(cols / 32)). */
export function blocksPerRow(type: number, cols: number): number {
  return Math.ceil(cols / weightLayout(type).blockElems);
}

/** 32-element granules per row, the unit the kernels decode (float types: ceil(cols / 32)). */
export function granulesPerRow(type: number, cols: number): number {
  return blocksPerRow(type, cols) * (weightLayout(type).blockElems / 32);
}

const pad16 = (n: number) => Math.max(16, Math.ceil(n / 16) * 16);

/** Byte size of each packed array for `rows` rows of `cols` columns. */
export function packedArrayBytes(type: number, rows: number, cols: number): number[] {
  const layout = weightLayout(type);
  const nb = Math.ceil(cols / layout.blockElems);
  return layout.arrays.map((a) => pad16(nb * a.planes * rows * a.unit));
}

/** GGUF bytes of one row. */
export function ggufRowBytes(type: number, cols: number): number {
  const layout = weightLayout(type);
  return (cols / layout.ggmlBlockElems) * layout.ggmlBlockBytes;
}

function checkShape(type: number, rows: number, cols: number, bytes: Uint8Array, name: string): TypeLayout {
  const layout = weightLayout(type, name);
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 1 || cols < 1 || cols % layout.ggmlBlockElems !== 0) {
    throw new Error(`Tensor "${name}" (${layout.name}) has an invalid shape [${cols}, ${rows}].`);
  }
  const expected = rows * ggufRowBytes(type, cols);
  if (bytes.length !== expected) {
    throw new Error(`Tensor "${name}" (${layout.name}, [${cols}, ${rows}]) needs ${expected} bytes, got ${bytes.length}.`);
  }
  return layout;
}

// --- repacking ggml blocks into the planes (tile loops in weight-pack-tiles.ts) ---

/** Source bytes per tile of rows: the tile's rows stay in cache while the loops walk it block by block. */
const TILE_BYTES = 32 * 1024;

/**
 * Repacks the rows of a tensor into its packed arrays (pure; for tests and createGpuWeight).
 * `bytes` are the GGUF bytes of exactly `rows` rows of `cols` elements.
 */
export function packWeight(type: number, rows: number, cols: number, bytes: Uint8Array, name = '(unnamed tensor)'): PackedWeight {
  checkShape(type, rows, cols, bytes, name);
  const sizes = packedArrayBytes(type, rows, cols);
  const arrays = sizes.map((n) => new Uint32Array(n / 4));
  packWeightInto(type, rows, cols, bytes, arrays, name);
  return { type, rows, cols, arrays, byteSize: sizes.reduce((x, y) => x + y, 0) };
}

/**
 * packWeight into caller-owned arrays (one per packed array, each packedArrayBytes long or longer): writes every
 * byte of the first packedArrayBytes of each (padding included, as zeros) and no other, so the arrays may be
 * reused from an earlier tensor (fresh memory is slow to touch: the page faults can cost more than the packing).
 *
 * Rows are processed in tiles, each block-major (for a block, every row of the tile), so each packed plane is
 * written sequentially. Each tile is first copied (sequentially, and then read from cache) into a scratch buffer,
 * one row per 4-byte-aligned stride (float rows zero-padded to whole 32-element blocks), where the kernels read
 * it as 32-bit words (reading an aligned tile in place measured no faster than copying it). Types whose blocks
 * are not whole words get a second copy, 2 bytes on, so that every run of their bytes is aligned in one copy.
 */
export function packWeightInto(
  type: number,
  rows: number,
  cols: number,
  bytes: Uint8Array,
  out: readonly Uint32Array[],
  name = '(unnamed tensor)',
  firstRow = 0,
): void {
  const layout = checkShape(type, rows, cols, bytes, name);
  const sizes = packedArrayBytes(type, rows, cols);
  const nb = Math.ceil(cols / layout.blockElems);
  if (out.length !== sizes.length || out.some((a, i) => a.byteLength < sizes[i])) {
    throw new Error(`packWeightInto: tensor "${name}" (${layout.name}) needs ${sizes.length} arrays of ${sizes.join(', ')} bytes.`);
  }
  // zero the padding of each array (from the last word the kernels may only half write, for 2-byte units)
  layout.arrays.forEach((a, i) => out[i].fill(0, Math.floor((nb * a.planes * rows * a.unit) / 4), sizes[i] / 4));
  const halves = out.map((a) => new Uint16Array(a.buffer, a.byteOffset, a.length * 2)); // for the 2-byte (f16 scale) arrays
  const [o0, o1, o2, o3] = out;
  const R = rows;
  const rowBytes = ggufRowBytes(type, cols);
  const isFloat = layout.ggmlBlockElems === 1;
  const strideBytes = isFloat ? nb * 32 * layout.ggmlBlockBytes : Math.ceil(rowBytes / 4) * 4;
  const stride = strideBytes / 4;
  const tileRows = Math.max(1, Math.min(rows, Math.floor(TILE_BYTES / strideBytes)));
  // blocks of 18, 22, 34 or 210 bytes: a second copy of each tile, 2 bytes on (see weight-pack-tiles.ts)
  const twoCopies = !isFloat && layout.ggmlBlockBytes % 4 !== 0;
  const shifted = tileRows * stride;
  const W = new Uint32Array((twoCopies ? 2 : 1) * shifted + 2);
  const scratch = new Uint8Array(W.buffer);
  const copies = twoCopies ? [0, 4 * shifted + 2] : [0]; // byte offsets of the copies
  const none = new Uint32Array(0);
  for (let r0 = 0; r0 < rows; r0 += tileRows) {
    const n = Math.min(tileRows, rows - r0);
    const from = r0 * rowBytes;
    for (const dst of copies) {
      if (strideBytes === rowBytes) scratch.set(bytes.subarray(from, from + n * rowBytes), dst);
      else for (let r = 0; r < n; r++) scratch.set(bytes.subarray(from + r * rowBytes, from + (r + 1) * rowBytes), dst + r * strideBytes);
    }
    // one loop nest per type family: the type switch sits outside the loops, which stay monomorphic for the JIT
    switch (type) {
      case WeightType.F32:
      case WeightType.F16:
      case WeightType.BF16:
        packFloatTile(W, stride, r0, n, R, nb, layout.arrays[0].planes, o0);
        break;
      case WeightType.Q8_0:
        packQ8_0Tile(W, stride, shifted, r0, n, R, nb, o0, halves[1]);
        break;
      case WeightType.Q4_0:
        packQ4Tile(W, stride, shifted, r0, n, R, nb, 18, false, false, o0, none, none, halves[1]);
        break;
      case WeightType.Q4_1:
        packQ4Tile(W, stride, shifted, r0, n, R, nb, 20, false, true, o0, none, o1, halves[1]);
        break;
      case WeightType.Q5_0:
        packQ4Tile(W, stride, shifted, r0, n, R, nb, 22, true, false, o0, o1, none, halves[2]);
        break;
      case WeightType.Q5_1:
        packQ4Tile(W, stride, shifted, r0, n, R, nb, 24, true, true, o0, o1, o2, halves[2]);
        break;
      case WeightType.Q4_K:
        packKTile(W, stride, r0, n, R, nb, false, o0, none, o1, o2);
        break;
      case WeightType.Q5_K:
        packKTile(W, stride, r0, n, R, nb, true, o0, o1, o2, o3);
        break;
      case WeightType.Q6_K:
        packQ6KTile(W, stride, shifted, r0, n, R, nb, o0, o1, o2, halves[3]);
        break;
    }
  }
  // The tile packers write the extra bits in ggml-like order (see placeExtraBits); move them to where the
  // decoders join them to the nibbles.
  if (type === WeightType.Q5_0 || type === WeightType.Q5_1 || type === WeightType.Q5_K) placeExtraBits(o1, sizes[1] / 4, 1);
  if (type === WeightType.Q6_K) placeExtraBits(o1, sizes[1] / 4, 2);
  checkFinite(layout, out, sizes, rows, name, firstRow);
}

/**
 * Throws NonFiniteWeightError when the type's float array holds a NaN or an infinity (exponent bits all ones).
 * One pass over words the packing has just written (in cache for the scales; for float types the same order of
 * work as the copy), so a broken file is refused at load instead of producing NaN logits.
 */
/** Nonzero when a word in [from, to) has a NaN / Inf: (w & exponent) + its lowest bit carries into the sign bit. */
function nonFiniteF32(words: Uint32Array, from: number, to: number): number {
  let acc = 0;
  for (let k = from; k < to; k++) acc |= ((words[k] >>> 1) & 0x3fc00000) + 0x00400000;
  return acc & 0x40000000;
}

function nonFiniteF16(words: Uint32Array, from: number, to: number): number {
  let acc = 0;
  for (let k = from; k < to; k++) acc |= ((words[k] >>> 1) & 0x3e003e00) + 0x02000200;
  return acc & 0x40004000;
}

function nonFiniteBf16(words: Uint32Array, from: number, to: number): number {
  let acc = 0;
  for (let k = from; k < to; k++) acc |= ((words[k] >>> 1) & 0x3fc03fc0) + 0x00400040;
  return acc & 0x40004000;
}

function checkFinite(layout: TypeLayout, out: readonly Uint32Array[], sizes: readonly number[], rows: number, name: string, firstRow: number): void {
  const { array, format, what } = layout.floats;
  const words = out[array];
  const n = sizes[array] / 4;
  // Branch-free over the whole array; rescanned word by word only on a hit.
  // One loop per format with its constants written in, so each stays monomorphic (int32) for the JIT.
  const hit = format === 'f32' ? nonFiniteF32 : format === 'f16' ? nonFiniteF16 : nonFiniteBf16;
  if (hit(words, 0, n) === 0) return;
  let bad = -1;
  for (let k = 0; k < n && bad < 0; k++) if (hit(words, k, k + 1) !== 0) bad = k;
  if (bad < 0) return;
  // Unit (block b, plane p, row r) sits at ((b * planes + p) * rows + r) * unit bytes.
  const spec = layout.arrays[array];
  const half = format === 'f32' ? 0 : ((words[bad] & (format === 'f16' ? 0x7c00 : 0x7f80)) === (format === 'f16' ? 0x7c00 : 0x7f80) ? 0 : 1);
  const unitIndex = Math.floor((bad * 4 + half * 2) / spec.unit);
  throw new NonFiniteWeightError(name, firstRow + (unitIndex % rows), Math.floor(unitIndex / (spec.planes * rows)), what);
}

/**
 * Rewrites `count` extra-bit words in place, from the tile packers' order (the bits of element e = 8t + 4h + i at
 * 8i + 2t + h for Q5, 8i + 4u + 2h for Q6_K with u = t & 1) to the decoders' (header comment: lo element i at
 * 8i + 4 + s, hi element i < 3 at 8i + 8 + s, hi element 3 at s, with s = t for Q5 and 2u for Q6_K).
 */
function placeExtraBits(words: Uint32Array, count: number, bits: 1 | 2): void {
  const groups = bits === 1 ? 4 : 2; // words t (Q5) or u (Q6_K) per u32
  const m = bits === 1 ? 0x01010101 : 0x03030303;
  const mLow3 = m & 0x00ffffff;
  for (let k = 0; k < count; k++) {
    const w = words[k];
    if (w === 0) continue;
    let out = 0;
    for (let t = 0; t < groups; t++) {
      const src = 2 * bits * t; // this group's lo bits sit at 8i + src, hi bits at 8i + src + bits
      const s = bits * t;
      const lo = (w >>> src) & m;
      const hi = (w >>> (src + bits)) & m;
      out |= (lo << (4 + s)) | ((hi & mLow3) << (8 + s)) | ((hi >>> 24) << s);
    }
    words[k] = out >>> 0;
  }
}

// --- CPU decode of the packed layout (mirrors shaders/lib/weight-*.wgsl; for tests) ---

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);
const bitsToF32 = (bits: number) => ((u32Scratch[0] = bits >>> 0), f32Scratch[0]);
function halfToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Decodes row `row` of a packed weight to f32: exactly ggml's dequantization of the row (zeros may differ in sign). */
export function unpackWeightRow(packed: PackedWeight, row: number): Float32Array {
  const { type, rows: R, cols } = packed;
  const layout = weightLayout(type);
  const specs = layout.arrays;
  const w32 = packed.arrays;
  const u8 = w32.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const at = (a: number, b: number, p: number) => ((b * specs[a].planes + p) * R + row) * specs[a].unit;
  const word = (a: number, byteOff: number) => w32[a][byteOff >> 2];
  const half = (a: number, byteOff: number) => u8[a][byteOff] | (u8[a][byteOff + 1] << 8);
  const nb = Math.ceil(cols / layout.blockElems);
  const out = new Float32Array(nb * layout.blockElems);
  const c = new Float64Array(32);
  // One granule, as the WGSL decoders compute it: out[k0 + e] = a * c[e] + b, (a, b) = (a0, b0) for e < 16, else
  // (a1, b1); a * c is exact, so the sum rounds once (like ggml, up to the sign of zero).
  const emit = (k0: number, a0: number, a1: number, b0: number, b1: number) => {
    for (let e = 0; e < 32; e++) out[k0 + e] = e < 16 ? a0 * c[e] + b0 : a1 * c[e] + b1;
  };
  const nibbles = (a: number, o: number) => {
    for (let t = 0; t < 4; t++) {
      const w = word(a, o + 4 * t);
      for (let i = 0; i < 4; i++) {
        c[8 * t + i] = (w >>> (8 * i)) & 15;
        c[8 * t + 4 + i] = (w >>> (8 * i + 4)) & 15;
      }
    }
  };
  // extra high bits of element e = 8t + 4h + i from word w shifted by s (the layout in the header comment)
  const extra = (w: number, s: number, e: number, mask: number) => {
    const i = e & 3;
    const pos = (e & 4) === 0 ? 8 * i + 4 : i < 3 ? 8 * i + 8 : 0;
    return (w >>> (pos + s)) & mask;
  };
  const fifth = (a: number, o: number) => {
    const w = word(a, o);
    for (let e = 0; e < 32; e++) c[e] += extra(w, e >> 3, e, 1) * 16;
  };
  for (let b = 0; b < nb; b++) {
    switch (type) {
      case WeightType.F32:
        for (let e = 0; e < 32; e++) out[32 * b + e] = bitsToF32(word(0, at(0, b, e >> 2) + 4 * (e & 3)));
        break;
      case WeightType.F16:
      case WeightType.BF16:
        for (let e = 0; e < 32; e++) {
          const h = half(0, at(0, b, e >> 3) + 2 * (e & 7));
          out[32 * b + e] = type === WeightType.F16 ? halfToF32(h) : bitsToF32(h << 16);
        }
        break;
      case WeightType.Q8_0: {
        for (let e = 0; e < 32; e++) c[e] = (u8[0][at(0, b, e >> 4) + (e & 15)] << 24) >> 24;
        const d = halfToF32(half(1, at(1, b, 0)));
        emit(32 * b, d, d, 0, 0);
        break;
      }
      case WeightType.Q4_0:
      case WeightType.Q5_0: {
        const five = type === WeightType.Q5_0;
        nibbles(0, at(0, b, 0));
        if (five) fifth(1, at(1, b, 0));
        const d = halfToF32(half(five ? 2 : 1, at(five ? 2 : 1, b, 0)));
        const off = (five ? -16 : -8) * d;
        emit(32 * b, d, d, off, off);
        break;
      }
      case WeightType.Q4_1:
      case WeightType.Q5_1: {
        const five = type === WeightType.Q5_1;
        nibbles(0, at(0, b, 0));
        if (five) fifth(1, at(1, b, 0));
        const o = at(five ? 2 : 1, b, 0);
        const d = halfToF32(half(five ? 2 : 1, o));
        const m = halfToF32(half(five ? 2 : 1, o + 2));
        emit(32 * b, d, d, m, m);
        break;
      }
      case WeightType.Q4_K:
      case WeightType.Q5_K: {
        const five = type === WeightType.Q5_K;
        const dmA = five ? 2 : 1;
        const scA = five ? 3 : 2;
        const d = halfToF32(half(dmA, at(dmA, b, 0)));
        const dmin = halfToF32(half(dmA, at(dmA, b, 0) + 2));
        const s2 = word(scA, at(scA, b, 2));
        for (let j = 0; j < 8; j++) {
          nibbles(0, at(0, b, j));
          if (five) fifth(1, at(1, b, j));
          const lo = u8[scA][at(scA, b, j >> 2) + (j & 3)];
          const hi = (s2 >>> (4 * j)) & 15;
          const sc = (lo & 15) | ((hi & 3) << 4);
          const mn = (lo >> 4) | ((hi >> 2) << 4);
          const a = Math.fround(d * sc);
          const m = -Math.fround(dmin * mn);
          emit(256 * b + 32 * j, a, a, m, m);
        }
        break;
      }
      case WeightType.Q6_K: {
        const d = halfToF32(half(3, at(3, b, 0)));
        for (let j = 0; j < 8; j++) {
          nibbles(0, at(0, b, j));
          const o = at(1, b, j);
          for (let e = 0; e < 32; e++) {
            const t = e >> 3;
            c[e] += extra(word(1, o + 4 * (t >> 1)), 2 * (t & 1), e, 3) * 16;
          }
          const so = at(2, b, j >> 1) + 2 * (j & 1);
          const a0 = Math.fround(d * ((u8[2][so] << 24) >> 24));
          const a1 = Math.fround(d * ((u8[2][so + 1] << 24) >> 24));
          emit(256 * b + 32 * j, a0, a1, -32 * a0, -32 * a1);
        }
        break;
      }
    }
  }
  return out.length === cols ? out : out.slice(0, cols);
}

// --- upload ---

/**
 * The memory of the last packed tensor part, kept weakly for the next one: first touches of fresh memory are slow
 * (page faults; in some VMs slower than the packing itself), and a model's tensors come in few sizes.
 */
let spare: WeakRef<ArrayBuffer> | undefined;

/** Arrays of `sizes` bytes in one reused buffer (valid until the next call). */
function reusedArrays(sizes: readonly number[]): Uint32Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  let buffer = spare?.deref();
  if (!buffer || buffer.byteLength < total) {
    buffer = new ArrayBuffer(total);
    spare = new WeakRef(buffer);
  }
  let offset = 0;
  return sizes.map((n) => {
    const a = new Uint32Array(buffer, offset, n / 4);
    offset += n;
    return a;
  });
}

/**
 * Repacks a GGUF tensor (`dims` in ggml order: [cols, rows...]) and uploads it, split into row ranges
 * so that no buffer exceeds ctx.limits.maxStorageBindingSize.
 */
export function createGpuWeight(ctx: GpuContext, name: string, type: number, dims: readonly number[], bytes: Uint8Array): GpuWeight {
  const cols = dims[0] ?? 1;
  let rows = 1;
  for (let i = 1; i < dims.length; i++) rows *= dims[i];
  checkShape(type, rows, cols, bytes, name);
  const maxRows = maxRowsPerPart(type, cols, ctx.limits.maxStorageBindingSize, name);
  const partCount = Math.ceil(rows / maxRows);
  const perPart = Math.ceil(rows / partCount);
  const rowBytes = ggufRowBytes(type, cols);
  const parts: WeightPart[] = [];
  let byteSize = 0;
  for (let firstRow = 0; firstRow < rows; firstRow += perPart) {
    const rowCount = Math.min(perPart, rows - firstRow);
    // packed into reused memory (writeBuffer copies the data at once, so it is free again after the upload)
    const arrays = reusedArrays(packedArrayBytes(type, rowCount, cols));
    packWeightInto(type, rowCount, cols, bytes.subarray(firstRow * rowBytes, (firstRow + rowCount) * rowBytes), arrays, name, firstRow);
    const buffers = arrays.map((a, i) => uploadStorageBuffer(ctx, a, `${name}[${firstRow}+${rowCount}].${i}`));
    byteSize += arrays.reduce((n, a) => n + a.byteLength, 0);
    parts.push({ firstRow, rowCount, buffers });
  }
  return { name, type, rows, cols, parts, byteSize };
}

/** Most rows whose packed arrays each fit in `limit` bytes. */
export function maxRowsPerPart(type: number, cols: number, limit: number, name = '(unnamed tensor)'): number {
  const layout = weightLayout(type, name);
  const nb = Math.ceil(cols / layout.blockElems);
  const worstPerRow = Math.max(...layout.arrays.map((a) => nb * a.planes * a.unit));
  let n = Math.floor(limit / worstPerRow);
  while (n > 0 && packedArrayBytes(type, n, cols).some((s) => s > limit)) n--;
  if (n < 1) {
    throw new GpuError('TOO_LARGE', `One row of tensor "${name}" (${cols} ${layout.name} columns) exceeds the ${limit}-byte binding limit.`, {
      tensor: name,
      cols,
      limit,
    });
  }
  return n;
}
