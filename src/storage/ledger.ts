// Resume bookkeeping for one download: which chunks are stored, which are being fetched, which are missing.
// Stored chunks come from IndexedDB keys (a chunk record exists only once it was written whole), so a reload
// or a closed tab loses at most the chunks that were in flight. Pure; no I/O.

const MISSING = 0;
const CLAIMED = 1;
const STORED = 2;

export class DownloadLedger {
  private readonly state: Uint8Array;
  private stored = 0;
  private next = 0;

  constructor(
    readonly count: number,
    stored: Iterable<number> = [],
  ) {
    this.state = new Uint8Array(count);
    for (const i of stored) {
      if (Number.isInteger(i) && i >= 0 && i < count && this.state[i] !== STORED) {
        this.state[i] = STORED;
        this.stored++;
      }
    }
  }

  /** Claims the lowest missing chunk (fetching in file order keeps the hash frontier moving), or undefined. */
  claimNext(): number | undefined {
    while (this.next < this.count && this.state[this.next] !== MISSING) this.next++;
    for (let i = this.next; i < this.count; i++) {
      if (this.state[i] === MISSING) {
        this.state[i] = CLAIMED;
        return i;
      }
    }
    return undefined;
  }

  /** Claims chunk `i` if nobody has it and it is not stored. */
  tryClaim(i: number): boolean {
    if (this.state[i] !== MISSING) return false;
    this.state[i] = CLAIMED;
    return true;
  }

  /** Gives a claimed chunk back (its fetch failed); someone else may take it. */
  release(i: number): void {
    if (this.state[i] === CLAIMED) {
      this.state[i] = MISSING;
      if (i < this.next) this.next = i;
    }
  }

  markStored(i: number): void {
    if (this.state[i] === STORED) return;
    this.state[i] = STORED;
    this.stored++;
  }

  isStored(i: number): boolean {
    return this.state[i] === STORED;
  }

  isClaimed(i: number): boolean {
    return this.state[i] === CLAIMED;
  }

  /** Whether some chunk at or after `i` is neither stored nor claimed. */
  anyUnclaimedFrom(i: number): boolean {
    for (let j = Math.max(i, this.next); j < this.count; j++) if (this.state[j] === MISSING) return true;
    return false;
  }

  /** Whether some chunk is being fetched. */
  anyClaimed(): boolean {
    return this.state.includes(CLAIMED);
  }

  get storedCount(): number {
    return this.stored;
  }

  get allStored(): boolean {
    return this.stored === this.count;
  }

  /** Indices that are not stored (missing or in flight), ascending. */
  notStored(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.state[i] !== STORED) out.push(i);
    return out;
  }
}
