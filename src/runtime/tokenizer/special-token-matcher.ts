// Finds special (control and user-defined) token strings verbatim in text: leftmost, then longest match,
// with a character trie so thousands of special tokens cost no more per character than a few.

interface TrieNode {
  readonly children: Map<number, TrieNode>;
  id: number;
}

export class SpecialTokenMatcher {
  private readonly root: TrieNode = { children: new Map(), id: -1 };
  /** 1 where a UTF-16 code unit starts some special token: the fast skip for ordinary text. */
  private readonly starts = new Uint8Array(0x10000);
  readonly size: number;

  /** `entries`: [token text, id]. Empty strings are ignored; for a repeated text the later id wins. */
  constructor(entries: Iterable<readonly [string, number]>) {
    let size = 0;
    for (const [text, id] of entries) {
      if (text.length === 0) continue;
      let node = this.root;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        let child = node.children.get(c);
        if (!child) {
          child = { children: new Map(), id: -1 };
          node.children.set(c, child);
        }
        node = child;
      }
      if (node.id < 0) size++;
      node.id = id;
      this.starts[text.charCodeAt(0)] = 1;
    }
    this.size = size;
  }

  /**
   * Walks `text`, calling `onText` for each stretch of ordinary text (never empty) and `onSpecial` for each
   * special token found, in order.
   */
  split(text: string, onText: (s: string) => void, onSpecial: (id: number) => void): void {
    const n = text.length;
    let plainStart = 0;
    let i = 0;
    while (i < n) {
      if (this.starts[text.charCodeAt(i)] === 0) {
        i++;
        continue;
      }
      let node: TrieNode | undefined = this.root;
      let matchId = -1;
      let matchEnd = -1;
      for (let j = i; j < n; j++) {
        node = node.children.get(text.charCodeAt(j));
        if (!node) break;
        if (node.id >= 0) {
          matchId = node.id;
          matchEnd = j + 1;
        }
      }
      if (matchId < 0) {
        i++;
        continue;
      }
      if (i > plainStart) onText(text.slice(plainStart, i));
      onSpecial(matchId);
      i = matchEnd;
      plainStart = i;
    }
    if (n > plainStart) onText(text.slice(plainStart));
  }
}
