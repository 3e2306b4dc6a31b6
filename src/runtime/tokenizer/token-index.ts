// Token text -> id lookup in a typed open-addressing table keyed by an FNV-1a hash of the UTF-16 code units.
// Unlike a Map<string, number> it can look up a substring (or a string with one character skipped, as a
// merge "left right" minus its space) without building that string: loading 500k merges takes a fraction of
// the time.

const EMPTY = -1;

/** Hash of the text s[start, end) without the code unit at `skip` (-1: none). */
export function hashText(s: string, start: number, end: number, skip: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    if (i === skip) continue;
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  h ^= h >>> 16;
  return Math.imul(h, 0x7feb352d) >>> 0;
}

/** hashText of every token, by id. */
export function hashTokens(tokens: readonly string[]): Uint32Array {
  const out = new Uint32Array(tokens.length);
  for (let id = 0; id < tokens.length; id++) out[id] = hashText(tokens[id], 0, tokens[id].length, -1);
  return out;
}

export class TokenIndex {
  private readonly tokens: readonly string[];
  private readonly slots: Int32Array;
  /** The full hash of each slot's text: most probes that miss are settled without touching the string. */
  private readonly hashes: Uint32Array;
  private readonly mask: number;

  /**
   * Indexes the tokens for which `include(id)` holds; for a text that occurs twice the later id wins.
   * `hashes` (from hashTokens) may be passed when already computed.
   */
  constructor(tokens: readonly string[], include: (id: number) => boolean = () => true, hashes: Uint32Array = hashTokens(tokens)) {
    this.tokens = tokens;
    let cap = 1024;
    while (cap < tokens.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap).fill(EMPTY);
    this.hashes = new Uint32Array(cap);
    for (let id = 0; id < tokens.length; id++) {
      if (!include(id)) continue;
      const t = tokens[id];
      const h = hashes[id];
      let i = h & this.mask;
      for (;;) {
        const other = this.slots[i];
        if (other === EMPTY || (this.hashes[i] === h && tokens[other] === t)) {
          this.slots[i] = id;
          this.hashes[i] = h;
          break;
        }
        i = (i + 1) & this.mask;
      }
    }
  }

  /** The id of `s`, or -1. */
  get(s: string): number {
    return this.find(s, 0, s.length, -1);
  }

  /** The id of the text s[start, end) without the code unit at index `skip` (-1: none), or -1. */
  find(s: string, start: number, end: number, skip: number): number {
    const len = end - start - (skip >= start && skip < end ? 1 : 0);
    const h = hashText(s, start, end, skip);
    let i = h & this.mask;
    for (;;) {
      const id = this.slots[i];
      if (id === EMPTY) return -1;
      if (this.hashes[i] === h) {
        const t = this.tokens[id];
        if (t.length === len && equalsRange(t, s, start, end, skip)) return id;
      }
      i = (i + 1) & this.mask;
    }
  }
}

function equalsRange(t: string, s: string, start: number, end: number, skip: number): boolean {
  let k = 0;
  for (let i = start; i < end; i++) {
    if (i === skip) continue;
    if (t.charCodeAt(k++) !== s.charCodeAt(i)) return false;
  }
  return true;
}
