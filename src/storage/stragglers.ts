// The straggler race of a chunked download: every connection working on a chunk is a lane; once every chunk is
// claimed, an idle connection polls for a chunk whose lone lane crawls far below the download's own rate and
// requests it again. The first lane to finish stores the chunk and the others are cancelled.

/** When a chunk counts as a straggler worth racing on another connection. */
export interface StragglerOptions {
  /** A chunk in flight for less than this is never raced (default 2 s). */
  readonly minMs?: number;
  /** Raced when its projected remaining time exceeds this many times a fresh fetch at the download's rate (default 3). */
  readonly factor?: number;
  /** How often an idle connection looks for a straggler (default 250 ms). */
  readonly pollMs?: number;
  readonly now?: () => number;
}

/** One connection's progress on a chunk. */
export interface Lane {
  readonly start: number;
  readonly from: number;
  got: number;
  readonly abort: AbortController;
}

export class StragglerRace {
  private readonly options: Required<StragglerOptions>;
  // Every connection working on a chunk, the chunks raced so far, and the rate (bytes/ms) of each chunk fetched.
  private readonly lanes = new Map<number, Lane[]>();
  private readonly raced = new Set<number>();
  private readonly rates: number[] = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    options: StragglerOptions | undefined,
    private readonly chunkLength: (i: number) => number,
  ) {
    const s = options ?? {};
    this.options = { minMs: s.minMs ?? 2000, factor: s.factor ?? 3, pollMs: s.pollMs ?? 250, now: s.now ?? (() => Date.now()) };
  }

  now(): number {
    return this.options.now();
  }

  /** Chunks re-requested on another connection so far. */
  get racedCount(): number {
    return this.raced.size;
  }

  markRaced(i: number): void {
    this.raced.add(i);
  }

  /** A new connection on chunk i, starting at byte 0 of the chunk. */
  openLane(i: number): Lane {
    const lane: Lane = { start: this.now(), from: 0, got: 0, abort: new AbortController() };
    const lanes = this.lanes.get(i) ?? [];
    lanes.push(lane);
    this.lanes.set(i, lanes);
    return lane;
  }

  closeLane(i: number, lane: Lane): void {
    const left = (this.lanes.get(i) ?? []).filter((l) => l !== lane);
    if (left.length) this.lanes.set(i, left);
    else this.lanes.delete(i);
  }

  /** Records the rate of a lane that received its whole chunk (the measure a straggler is compared with). */
  recordRate(i: number, lane: Lane): void {
    this.rates.push((this.chunkLength(i) - lane.from) / Math.max(1, this.now() - lane.start));
  }

  /** Chunk i is stored: cancel its other lanes (call after marking it stored, so they see it) and wake idle connections. */
  stored(i: number, winner?: Lane): void {
    for (const lane of this.lanes.get(i) ?? []) if (lane !== winner) lane.abort.abort();
    this.wakeIdle();
  }

  wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Waits for a chunk to be stored or for the next straggler check. */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve();
      };
      const t = setTimeout(done, this.options.pollMs);
      this.idleWaiters.push(done);
    });
  }

  /**
   * The claimed chunk (not yet raced) whose connection would take longest, if it would take `factor` times
   * longer than fetching the whole chunk afresh at the median rate of the chunks fetched in this run.
   */
  find(isStored: (i: number) => boolean): number | undefined {
    if (this.rates.length === 0) return undefined;
    const sorted = [...this.rates].sort((a, b) => a - b);
    const rate = sorted[Math.floor(sorted.length / 2)];
    const now = this.now();
    const { minMs, factor } = this.options;
    let worst: number | undefined;
    let worstMs = 0;
    for (const [i, lanes] of this.lanes) {
      if (this.raced.has(i) || isStored(i) || lanes.length !== 1) continue;
      const lane = lanes[0];
      const elapsed = now - lane.start;
      if (elapsed < minMs) continue;
      const length = this.chunkLength(i);
      const laneRate = (lane.got - lane.from) / elapsed;
      const remainingMs = laneRate > 0 ? (length - lane.got) / laneRate : Infinity;
      const freshMs = length / rate;
      if (remainingMs > factor * freshMs && remainingMs > minMs && remainingMs > worstMs) {
        worst = i;
        worstMs = remainingMs;
      }
    }
    return worst;
  }
}
