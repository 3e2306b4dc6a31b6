// Merge-rank BPE over Unicode code points with `<0xXX>` byte fallback (the Gemma 4 "SPM-style BPE").
// Pairs of token ids live in an open-addressing hash table; a segment is merged with a binary heap over a
// linked list of symbols, so encoding is O(n log n) in the segment length.
import { TokenIndex, hashText, hashTokens } from './token-index.js';

/**
 * Merges keyed by the hashes of their two sides' texts, so loading needs no token lookups at all: each
 * "left right" string is hashed in place. A hit is confirmed against the merge text once per rank (then by
 * the remembered ids), so a hash collision can never apply a wrong merge.
 */
class MergeTable {
  private readonly mask: number;
  private readonly leftHashes: Int32Array;
  private readonly rightHashes: Int32Array;
  /** rank + 1 per slot; 0 = empty. */
  private readonly ranks: Int32Array;
  private readonly merges: readonly string[];
  private readonly tokens: readonly string[];
  private readonly tokenHashes: Uint32Array;
  /** Confirmed sides per rank (-1 until first confirmed). */
  private readonly leftIds: Int32Array;
  private readonly rightIds: Int32Array;
  /** Entries that have a separator. */
  readonly size: number;

  constructor(merges: readonly string[], tokens: readonly string[], tokenHashes: Uint32Array) {
    this.merges = merges;
    this.tokens = tokens;
    this.tokenHashes = tokenHashes;
    let cap = 1024;
    while (cap < merges.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.leftHashes = new Int32Array(cap);
    this.rightHashes = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.leftIds = new Int32Array(merges.length).fill(-1);
    this.rightIds = new Int32Array(merges.length);
    let size = 0;
    for (let r = 0; r < merges.length; r++) {
      const m = merges[r];
      // The separator is the first space after position 0 (llama.cpp's rule, so a left side of " " parses).
      const sep = m.indexOf(' ', 1);
      if (sep < 0) continue;
      const hl = hashText(m, 0, sep, -1) | 0;
      const hr = hashText(m, sep + 1, m.length, -1) | 0;
      // Equal keys (a repeated merge, or a collision) each get a slot; probing meets the lower rank first.
      let i = slotOf(hl, hr) & this.mask;
      while (this.ranks[i] !== 0) i = (i + 1) & this.mask;
      this.leftHashes[i] = hl;
      this.rightHashes[i] = hr;
      this.ranks[i] = r + 1;
      size++;
    }
    this.size = size;
  }

  /** The rank of merging piece a then piece b, or -1. */
  rank(a: number, b: number): number {
    const hl = this.tokenHashes[a] | 0;
    const hr = this.tokenHashes[b] | 0;
    let i = slotOf(hl, hr) & this.mask;
    for (;;) {
      const r1 = this.ranks[i];
      if (r1 === 0) return -1;
      if (this.leftHashes[i] === hl && this.rightHashes[i] === hr) {
        const r = r1 - 1;
        if (this.leftIds[r] === a && this.rightIds[r] === b) return r;
        if (this.confirm(r, a, b)) return r;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Checks merge r really is tokens[a] + " " + tokens[b]; remembers the ids the first time. */
  private confirm(r: number, a: number, b: number): boolean {
    const m = this.merges[r];
    const left = this.tokens[a];
    const right = this.tokens[b];
    const ok = m.length === left.length + 1 + right.length && m.indexOf(' ', 1) === left.length && m.startsWith(left) && m.endsWith(right);
    if (ok && this.leftIds[r] < 0) {
      this.leftIds[r] = a;
      this.rightIds[r] = b;
    }
    return ok;
  }
}

function slotOf(hl: number, hr: number): number {
  let h = Math.imul(hl, 0x9e3779b1) ^ hr;
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

export interface BpeModelOptions {
  /** Token texts by id. */
  readonly tokens: readonly string[];
  /** Which ids BPE may produce: ordinary pieces (not control, user-defined or byte tokens). */
  readonly isPiece: (id: number) => boolean;
  /** Merges by rank, each "left right". */
  readonly merges: readonly string[];
  /** hashTokens(tokens), when the caller already has it. */
  readonly tokenHashes?: Uint32Array;
  /** Id of `<0xXX>` for each byte value, -1 where the vocabulary lacks it. */
  readonly byteIds: Int32Array;
  /** Emitted for a byte with no `<0xXX>` piece; -1 drops it. */
  readonly unknownId: number;
}

const DEAD = -2;
const NO_ID = -1;
const UNRESOLVED = -3;
const SPACE = 0x20;
const META_SPACE = 0x2581;
const MAX_CODE_POINT = 0x110000;

/** Encodes one pre-split segment (a line without `\n`, or a run of `\n`) into token ids. */
export class BpeModel {
  private readonly pieces: TokenIndex;
  private readonly table: MergeTable;
  private readonly merges: readonly string[];
  /** Merge rank -> id of the merged piece; looked up on first use (UNRESOLVED), NO_ID when not a piece. */
  private readonly mergeResult: Int32Array;
  /** Code point -> id of its single-character piece (or NO_ID). */
  private readonly charIds: Int32Array;
  private readonly byteIds: Int32Array;
  private readonly unknownId: number;
  private readonly joinsSpace: Set<number>;

  // Scratch buffers, grown on demand and reused across calls.
  private ids = new Int32Array(256);
  private next = new Int32Array(256);
  private prev = new Int32Array(256);
  private cps = new Int32Array(256);
  /** Up to 2n entries: n - 1 initial pairs plus at most one net push per merge. */
  private heap = new Float64Array(512);

  constructor(opts: BpeModelOptions) {
    const { tokens, isPiece } = opts;
    const hashes = opts.tokenHashes ?? hashTokens(tokens);
    this.pieces = new TokenIndex(tokens, isPiece, hashes);
    this.byteIds = opts.byteIds;
    this.unknownId = opts.unknownId;

    this.charIds = new Int32Array(MAX_CODE_POINT).fill(NO_ID);
    for (let id = 0; id < tokens.length; id++) {
      const piece = tokens[id];
      if (piece.length > 2 || !isPiece(id)) continue;
      const cp = piece.codePointAt(0);
      // Later ids win for repeated texts, as in the piece index.
      if (cp !== undefined && (cp > 0xffff ? 2 : 1) === piece.length) this.charIds[cp] = id;
    }

    // Code points some piece joins to a following ▁ (in Gemma 4 only '>', from the piece ">▁</").
    this.joinsSpace = new Set<number>();
    for (let id = 0; id < tokens.length; id++) {
      const piece = tokens[id];
      if (piece.indexOf('\u2581', 1) < 0 || !isPiece(id)) continue;
      for (let k = 1; k < piece.length; k++) {
        if (piece.charCodeAt(k) !== META_SPACE || piece.charCodeAt(k - 1) === META_SPACE) continue;
        this.joinsSpace.add(codePointBefore(piece, k));
      }
    }

    this.merges = opts.merges;
    this.table = new MergeTable(opts.merges, tokens, hashes);
    this.mergeResult = new Int32Array(opts.merges.length).fill(UNRESOLVED);
  }

  /**
   * Whether text may be cut at `i`, where a space or ▁ follows a character that is neither, without changing the
   * result: true unless some piece spans such a boundary after that character. Cutting lines into words this way
   * lets the caller cache words (as BPE over the whole line would never merge across the cut).
   */
  canSplitBeforeSpace(text: string, i: number): boolean {
    return this.joinsSpace.size === 0 || !this.joinsSpace.has(codePointBefore(text, i));
  }

  /** Number of merge entries (those with a separator). */
  get mergeCount(): number {
    return this.table.size;
  }

  private grow(n: number): void {
    if (this.ids.length >= n) return;
    let cap = this.ids.length;
    while (cap < n) cap *= 2;
    this.ids = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.cps = new Int32Array(cap);
    this.heap = new Float64Array(2 * cap);
  }

  /**
   * Appends the ids of `text` to `out`. Spaces (U+0020) are read as `▁`. A run made only of `\n` that is
   * itself a piece is emitted whole (llama.cpp's Gemma 4 rule); everything else goes through the merges.
   */
  encodeSegment(text: string, out: number[]): void {
    if (text.length === 0) return;
    if (text.charCodeAt(0) === 0x0a) {
      const whole = this.pieces.get(text);
      if (whole >= 0) {
        out.push(whole);
        return;
      }
    }
    this.grow(text.length);
    const { ids, next, prev, cps, charIds } = this;

    // 1. One symbol per code point.
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
          i++;
        }
      }
      if (cp === SPACE) cp = META_SPACE;
      cps[n] = cp;
      ids[n] = charIds[cp];
      prev[n] = n - 1;
      next[n] = n + 1;
      n++;
    }
    next[n - 1] = -1;

    // 2. Candidate pairs keyed rank * n + position: lowest rank first, leftmost first among equals.
    const heap = this.heap;
    let size = 0;
    for (let i = 0; i + 1 < n; i++) {
      const a = ids[i];
      const b = ids[i + 1];
      if (a < 0 || b < 0) continue;
      const r = this.table.rank(a, b);
      if (r >= 0) heap[size++] = r * n + i;
    }
    for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(heap, size, i);

    // 3. Merge until no candidate is left.
    while (size > 0) {
      const key = heap[0];
      size--;
      if (size > 0) {
        heap[0] = heap[size];
        siftDown(heap, size, 0);
      }
      const r = Math.floor(key / n);
      const i = key - r * n;
      const a = ids[i];
      if (a < 0) continue;
      const j = next[i];
      if (j < 0 || this.table.rank(a, ids[j]) !== r) continue; // stale: a side was merged since
      const merged = this.resultOf(r);
      if (merged < 0) continue;
      ids[i] = merged;
      ids[j] = DEAD;
      const k = next[j];
      next[i] = k;
      if (k >= 0) prev[k] = i;
      const p = prev[i];
      if (p >= 0) {
        const rp = this.table.rank(ids[p], merged);
        if (rp >= 0) size = heapPush(heap, size, rp * n + p);
      }
      if (k >= 0 && ids[k] >= 0) {
        const rk = this.table.rank(merged, ids[k]);
        if (rk >= 0) size = heapPush(heap, size, rk * n + i);
      }
    }

    // 4. Emit; a code point with no piece becomes its UTF-8 bytes as <0xXX> pieces.
    for (let i = 0; i >= 0; i = next[i]) {
      const id = ids[i];
      if (id >= 0) out.push(id);
      else this.pushBytes(cps[i], out);
    }
  }

  /** The piece a merge produces (the merge text without its separator), or NO_ID when it is not a piece. */
  private resultOf(rank: number): number {
    let id = this.mergeResult[rank];
    if (id === UNRESOLVED) {
      const m = this.merges[rank];
      id = this.pieces.find(m, 0, m.length, m.indexOf(' ', 1));
      this.mergeResult[rank] = id;
    }
    return id;
  }

  private pushBytes(cp: number, out: number[]): void {
    if (cp < 0x80) this.pushByte(cp, out);
    else if (cp < 0x800) {
      this.pushByte(0xc0 | (cp >> 6), out);
      this.pushByte(0x80 | (cp & 0x3f), out);
    } else if (cp < 0x10000) {
      // A lone surrogate has no UTF-8 form; encode it as U+FFFD like TextEncoder does.
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      const id = this.charIds[cp];
      if (id >= 0) {
        out.push(id);
        return;
      }
      this.pushByte(0xe0 | (cp >> 12), out);
      this.pushByte(0x80 | ((cp >> 6) & 0x3f), out);
      this.pushByte(0x80 | (cp & 0x3f), out);
    } else {
      this.pushByte(0xf0 | (cp >> 18), out);
      this.pushByte(0x80 | ((cp >> 12) & 0x3f), out);
      this.pushByte(0x80 | ((cp >> 6) & 0x3f), out);
      this.pushByte(0x80 | (cp & 0x3f), out);
    }
  }

  private pushByte(b: number, out: number[]): void {
    const id = this.byteIds[b];
    if (id >= 0) out.push(id);
    else if (this.unknownId >= 0) out.push(this.unknownId);
  }
}

/** The code point that ends just before index i (combining a surrogate pair). */
function codePointBefore(s: string, i: number): number {
  const lo = s.charCodeAt(i - 1);
  if (lo >= 0xdc00 && lo <= 0xdfff && i >= 2) {
    const hi = s.charCodeAt(i - 2);
    if (hi >= 0xd800 && hi <= 0xdbff) return ((hi - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  }
  return lo;
}

function siftDown(heap: Float64Array, size: number, i: number): void {
  const x = heap[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && heap[c + 1] < heap[c]) c++;
    if (heap[c] >= x) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = x;
}

function heapPush(heap: Float64Array, size: number, x: number): number {
  let i = size;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p] <= x) break;
    heap[i] = heap[p];
    i = p;
  }
  heap[i] = x;
  return size + 1;
}
