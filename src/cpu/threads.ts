// Threads for the products: N - 1 helper workers instantiate the same kernels over one shared wasm memory and
// share each product's row groups. Within a token nobody posts messages: the caller publishes a job list in a
// control block of the shared memory and bumps a generation counter, everyone takes chunks of row groups from an
// atomic counter, the caller spins on a done counter (perf-notes §10: a spin barrier costs ~1 us, postMessage
// 65-500 us).
// Helpers fall back to Atomics.wait after ~65k idle spins (tens of microseconds): long spins starve the caller on a
// machine with more runnable threads than cores, and between tokens an idle model costs no CPU.
import { KERNEL_WASM_BASE64 } from './generated/kernels-wasm.js';
import type { Products, ProductOptions } from './products.js';
import { CpuKernels, supportsRelaxedSimd, WasmArena, type WasmWeight } from './wasm-kernels.js';

/** Starts a worker running `source` (JavaScript text) and posts it `init`; the environment's Worker API. */
export type SpawnWorker = (source: string, init: unknown) => { terminate(): void | Promise<number> };

export interface ThreadOptions extends ProductOptions {
  /** Threads in all, this one included (>= 2). */
  readonly threads: number;
  readonly spawn: SpawnWorker;
  /** Tests: false leaves every chunk to the helpers (proves they compute), default true. */
  readonly callerWorks?: boolean;
  /** Row groups (4 rows each) per chunk of a product (default CHUNK_GROUPS; benchmarks vary it). */
  readonly chunkGroups?: number;
}

// Control block (Int32 slots): 0 generation, 1 command (0 run, 1 exit), 2 job count, 3 chunks done, 4 ticket,
// 5/6 total chunks of even/odd epochs, 7 chunks run by helpers so far (statistics), 8 epoch.
// Jobs from slot 16, JOB_INTS each: kernel id, w, x, xs, xsum, y, K, g0, g1, M, stride, first chunk, groups per
// chunk. A product's groups are 4-row groups; attention (attend_job, the same argument shape) hands out heads.
// Work is handed out in chunks of row groups from a shared ticket counter (not fixed slices), so a helper the OS
// deschedules (more threads than free cores) delays a product by one chunk, not by its whole share. A ticket is
// (epoch << 19) | chunk index: a thread holding a ticket drawn for an earlier job list sees the epoch differ (or its
// index past that list's total) and takes nothing, even when it was descheduled across a whole publish.
const JOB_INTS = 13;
const MAX_JOBS = 8;
const HEADER_INTS = 16;
const CTRL_INTS = HEADER_INTS + MAX_JOBS * JOB_INTS;
/** Row groups per chunk: 32 groups = 128 rows, ~10-20 us of work at decode. */
const CHUNK_GROUPS = 32;
const EPOCH_SHIFT = 19;
const EPOCH_MASK = 0xfff;

const KERNEL_NAMES = [
  'matvec_q4s_int', 'matvec_q4o_int', 'matvec_i8_int', 'matvec_u8o_int', 'matvec_u8g16_int',
  'matvec_q4s_f32', 'matvec_q4o_f32', 'matvec_i8_f32', 'matvec_u8o_f32', 'matvec_u8g16_f32', 'matvec_f32_f32',
  'attend_job',
];

interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
  index: number;
  names: string[];
}

/**
 * Takes chunks from the control block until none is left; returns how many it ran. Shared by the caller and the
 * helpers (the helpers get it as text, so it closes over nothing).
 */
function drainChunks(c: Int32Array, fns: ((...a: number[]) => void)[]): number {
  let ran = 0;
  for (;;) {
    const ticket = Atomics.add(c, 4, 1);
    const epoch = (ticket >>> 19) & 0xfff;
    const i = ticket & 0x7ffff;
    // Total first, epoch second: if the epoch still matches, the total read belongs to this epoch.
    const total = Atomics.load(c, 5 + (epoch & 1));
    if (Atomics.load(c, 8) !== epoch || i >= total) return ran;
    let j = c[2] - 1;
    while (c[16 + 13 * j + 11] > i) j--;
    const o = 16 + 13 * j;
    const g0 = c[o + 7] + (i - c[o + 11]) * c[o + 12];
    const g1 = Math.min(g0 + c[o + 12], c[o + 8]);
    fns[c[o]](c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], g0, g1, c[o + 9], c[o + 10]);
    ran++;
  }
}

/** The helper's whole program. Self-contained (it is sent as text with drainChunks): no imports, no closures. */
function helperMain(init: WorkerInit, drain: typeof drainChunks): void {
  const { module, memory, ctrl, names } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ex = instance.exports as Record<string, (...a: number[]) => void>;
  const fns = names.map((n) => ex[n]);
  const c = new Int32Array(memory.buffer, ctrl, 16 + 8 * 13);
  // From generation 0, not the current one: a helper that starts after a list went out must still take part in
  // it (a caller that leaves all the work to helpers would wait forever).
  let seen = 0;
  for (;;) {
    let spins = 0;
    while (Atomics.load(c, 0) === seen) {
      if (++spins > 1 << 16) {
        Atomics.wait(c, 0, seen, 50);
        spins = 0;
      }
    }
    seen = Atomics.load(c, 0);
    if (c[1] === 1) return;
    const ran = drain(c, fns);
    if (ran > 0) {
      Atomics.add(c, 7, ran);
      Atomics.add(c, 3, ran);
    }
  }
}

/** The helper source for a Web Worker (module or classic) and for Node's worker_threads (eval). */
export function helperSource(env: 'web' | 'node'): string {
  // Bound to a local name: a minifier may rename the declaration itself.
  const start =
    env === 'web'
      ? 'self.onmessage = (e) => { self.onmessage = null; main(e.data, drain); close(); };'
      : "require('node:worker_threads').parentPort.once('message', (m) => { main(m, drain); process.exit(0); });";
  return `const drain = ${drainChunks.toString()};\nconst main = ${helperMain.toString()};\n${start}\n`;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export interface ThreadedProducts extends Products {
  /** Chunks of row groups the helpers (not this thread) have run so far. */
  helperChunks(): number;
  /** Stops the helpers. */
  close(): void;
}

/** Products split over `threads` threads sharing one memory (needs SharedArrayBuffer: crossOriginIsolated pages, Node). */
export async function createThreadedProducts(options: ThreadOptions): Promise<ThreadedProducts> {
  const threads = options.threads;
  if (!(threads >= 2)) throw new RangeError(`createThreadedProducts needs 2 or more threads, got ${threads}`);
  const arena = new WasmArena(true);
  const relaxed = options.relaxed ?? supportsRelaxedSimd();
  const kernels = await CpuKernels.create(arena, { relaxed });
  const module = await WebAssembly.compile(decodeBase64(KERNEL_WASM_BASE64[relaxed ? 'relaxedShared' : 'simdShared']));
  const ctrl = arena.alloc(4 * CTRL_INTS);
  const c = new Int32Array(arena.memory.buffer, ctrl, CTRL_INTS);
  let epoch = 0;
  const workers: ReturnType<SpawnWorker>[] = [];
  for (let i = 1; i < threads; i++) {
    const init: WorkerInit = { module, memory: arena.memory, ctrl, index: i, names: KERNEL_NAMES };
    workers.push(options.spawn(helperSource(typeof process !== 'undefined' && process.versions?.node ? 'node' : 'web'), init));
  }
  const mode = options.activations ?? 'int8';
  const ids = new Map(KERNEL_NAMES.map((n, i) => [n, i]));
  const callerWorks = options.callerWorks ?? true;
  const chunkGroups = options.chunkGroups ?? CHUNK_GROUPS;
  const fns = KERNEL_NAMES.map((n) => (...args: number[]) => kernels.call(n, args));
  let closed = false;

  /** Publishes one job list (<= MAX_JOBS jobs, args as kernelArgs gives them) and works on it until all is done. */
  const publish = (jobs: { id: number; args: readonly number[]; perChunk: number }[]) => {
    if (closed) throw new Error('threaded products used after close()');
    // Every chunk of the previous list is done, so nobody holds a valid ticket: rewrite, then open a new epoch.
    epoch = (epoch + 1) & EPOCH_MASK;
    let chunks = 0;
    jobs.forEach((job, j) => {
      c.set([job.id, ...job.args, chunks, job.perChunk], HEADER_INTS + JOB_INTS * j);
      chunks += Math.ceil((job.args[7] - job.args[6]) / job.perChunk);
    });
    if (chunks >= 1 << (EPOCH_SHIFT - 1)) throw new RangeError(`a product list of ${chunks} chunks is too large for the ticket counter`);
    c[2] = jobs.length;
    Atomics.store(c, 5 + (epoch & 1), chunks);
    Atomics.store(c, 3, 0);
    Atomics.store(c, 8, epoch);
    Atomics.store(c, 4, epoch << EPOCH_SHIFT);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    const mine = callerWorks ? drainChunks(c, fns) : 0;
    if (mine > 0) Atomics.add(c, 3, mine);
    while (Atomics.load(c, 3) !== chunks) {
      // spin: helpers finish their last chunk within microseconds
    }
  };

  return {
    arena,
    kernels,
    mode,
    threads,
    reserve: (elements) => kernels.reserve(elements),
    prepare: (x, M, K) => kernels.prepare(x, M, K, mode),
    run(ws: readonly WasmWeight[], ys: readonly number[]) {
      for (let start = 0; start < ws.length; start += MAX_JOBS) {
        publish(
          ws.slice(start, start + MAX_JOBS).map((w, j) => {
            const a = kernels.kernelArgs(w, ys[start + j]);
            return { id: ids.get(a.name)!, args: a.args, perChunk: chunkGroups };
          }),
        );
      }
    },
    attend(params: number, heads: number) {
      // One head per chunk: a head is 10-100 us of work at decode, and heads are few (8 on E2B).
      publish([{ id: ids.get('attend_job')!, args: [params, 0, 0, 0, 0, 0, 0, heads, 0, 0], perChunk: 1 }]);
    },
    helperChunks: () => Atomics.load(c, 7),
    close() {
      if (closed) return;
      closed = true;
      c[1] = 1;
      Atomics.add(c, 0, 1);
      Atomics.notify(c, 0);
      for (const w of workers) void w.terminate();
    },
  };
}
