// The Gemma 4 forward pass on the CPU (spec gemma4-architecture.md §3), config-driven like the reference:
// sliding/full layers, GQA, KV-shared layers reading their source layer's cache, the §3.5 skip of shared layers
// for rows whose logits are not wanted, per-layer embeddings read per token from the file, layer scalars.
// Everything runs in wasm over one memory: the products (cpu/products.ts, split over threads) and the small per-row
// ops (cpu/wasm-small-ops.ts; attention split over threads by heads). The KV caches live in wasm memory too.
import { yieldToEvents } from './yield-to-events.js';
import type { ByteSource, GgufHeader } from '../gguf/types.js';
import type { GemmaConfig } from '../model/config.js';
import { loadCpuWeights, type CpuWeights, type PackedCacheOptions } from './cpu-weights.js';
import { createProducts, type ProductOptions, type Products } from './products.js';
import { createThreadedProducts, type SpawnWorker } from './threads.js';
import type { WasmWeight } from './wasm-kernels.js';
import { fillRopeTables, WasmSmallOps } from './wasm-small-ops.js';
import { ATTEND_PARAM_INTS } from './wat/small-ops-wat.js';

export interface CpuForwardOptions extends ProductOptions {
  /** Positions the full-attention caches hold (default: the model's context length, capped at 4096). */
  readonly contextLength?: number;
  /** Prompt rows per prefill chunk (default 32). */
  readonly chunk?: number;
  /** Threads for the products, this one included (default 1); more need `spawn` and SharedArrayBuffer. */
  readonly threads?: number;
  readonly spawn?: SpawnWorker;
  /** Tests: false leaves all product work to the helper threads. */
  readonly callerWorks?: boolean;
  /** A cache of the repacked weights (a second load copies them instead of repacking); see cpu-weights.ts. */
  readonly packedCache?: PackedCacheOptions;
  /** Threads: row groups per chunk of work (benchmarks; default in cpu/threads.ts). */
  readonly chunkGroups?: number;
}

/** Whether this context can share wasm memory between threads (cross-origin isolated pages, Node). */
export function canShareMemory(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  return typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

export interface CpuRunOptions {
  /** Skip layers >= F for rows whose logits are not needed (spec §3.5; exact). Default true. */
  readonly skipSharedLayersForUnusedRows?: boolean;
  /** Checked between prefill chunks: when set, the run stops there (length counts the chunks that ran). */
  readonly signal?: { readonly aborted: boolean };
  /**
   * 'last' only: false returns the row as a view of the logits in wasm memory (valid until the next run), not a
   * copy: a copy of V = 262,144 f32 costs about as much as sampling them (npm run bench:sampler). Default true.
   */
  readonly copyLogits?: boolean;
}

/** One layer's KV cache in wasm memory: `capacity` rows of [numKvHeads * headDim] f32, position p at row p. */
interface KvCache {
  readonly keys: number;
  readonly values: number;
  readonly capacity: number;
  readonly width: number;
}

/** RoPE tables of one inverse-frequency vector for the chunk's positions: [chunk, headDim / 2] cos and sin. */
interface RopeTables {
  readonly cos: number;
  readonly sin: number;
  readonly half: number;
}

interface Buffers {
  hidden: number;
  a: number;
  b: number;
  q: number;
  k: number;
  v: number;
  attn: number;
  gate: number;
  up: number;
  ple: number;
  pleIn: number;
  logits: number;
}

export class CpuForward {
  /** Positions processed so far (the KV caches hold them). */
  length = 0;
  /** Whether the last run stopped early on its signal. */
  aborted = false;
  readonly contextLength: number;
  private readonly chunk: number;
  private readonly caches: (KvCache | undefined)[];
  private readonly buf: Buffers;
  private readonly ops: WasmSmallOps;
  private readonly rope = new Map<Float32Array, RopeTables>();
  /** Attention scratch: [max heads, contextLength] f32 scores, and its parameter block. */
  private readonly scores: number;
  private readonly attnParams: number;

  private constructor(
    readonly config: GemmaConfig,
    readonly weights: CpuWeights,
    readonly products: Products,
    options: CpuForwardOptions,
  ) {
    this.contextLength = Math.min(options.contextLength ?? Math.min(config.contextLength, 4096), config.contextLength);
    this.chunk = options.chunk ?? 32;
    const C = this.chunk;
    // Sliding layers keep every position too (not a window + chunk ring): the position can then move back
    // anywhere for prefix reuse. E2B at 4096 positions: 12 sliding caches x 2 x 256 x 4 B x 4096 = 100 MB.
    const arena = products.arena;
    const f = (n: number) => arena.alloc(4 * Math.max(n, 4));
    this.caches = config.layers.map((l) => {
      if (!l.ownsKv) return undefined;
      const width = l.numKvHeads * l.headDim;
      return { keys: f(this.contextLength * width), values: f(this.contextLength * width), capacity: this.contextLength, width };
    });
    for (const l of config.layers) {
      const half = l.ropeInvFreq.length;
      if (!this.rope.has(l.ropeInvFreq)) this.rope.set(l.ropeInvFreq, { cos: f(C * half), sin: f(C * half), half });
    }
    this.scores = f(Math.max(...config.layers.map((l) => l.numHeads)) * this.contextLength);
    this.attnParams = f(ATTEND_PARAM_INTS);
    this.ops = new WasmSmallOps(products.kernels);
    const H = config.hiddenSize;
    const maxQ = Math.max(...config.layers.map((l) => l.numHeads * l.headDim));
    const maxKv = Math.max(...config.layers.map((l) => l.numKvHeads * l.headDim));
    const maxF = Math.max(...config.layers.map((l) => l.ffnWidth));
    const LP = config.numLayers * config.pleWidth;
    this.buf = {
      hidden: f(C * H),
      a: f(C * H),
      b: f(C * H),
      q: f(C * maxQ),
      k: f(C * maxKv),
      v: f(C * maxKv),
      attn: f(C * maxQ),
      gate: f(C * maxF),
      up: f(C * maxF),
      ple: f(C * Math.max(LP, config.pleWidth)),
      pleIn: f(C * Math.max(LP, 1)),
      logits: f(config.vocabSize),
    };
    products.reserve(C * Math.max(H, maxQ, maxF, LP));
  }

  static async load(source: ByteSource, header: GgufHeader, config: GemmaConfig, options: CpuForwardOptions = {}): Promise<CpuForward> {
    const threads = options.threads ?? 1;
    if (threads > 1 && !options.spawn) throw new RangeError('threads > 1 needs a spawn function for the helper workers');
    const products =
      threads > 1 && canShareMemory() ? await createThreadedProducts({ ...options, threads, spawn: options.spawn! }) : await createProducts(options);
    const weights = await loadCpuWeights(products.kernels, source, header, config, options.packedCache);
    return new CpuForward(config, weights, products, options);
  }

  reset(): void {
    this.length = 0;
  }

  /** Moves the position back to p (prefix reuse): later steps overwrite positions from p on. */
  rewind(p: number): void {
    if (!Number.isInteger(p) || p < 0 || p > this.length) throw new RangeError(`position can only move back, to [0, ${this.length}]; got ${p}`);
    this.length = p;
  }

  /** Wasm address of the logits row the last run returned last (vocabSize f32; valid until the next run). */
  get logitsAddress(): number {
    return this.buf.logits;
  }

  /** Stops helper threads (if any); the model is unusable afterwards. */
  close(): void {
    (this.products as { close?: () => void }).close?.();
  }

  /**
   * Runs `tokens` at positions length, length + 1, ... and appends them to the caches. Returns softcapped logits
   * for the last row ('last') or every row ('all'), as fresh arrays (unless options.copyLogits is false).
   */
  async run(tokens: readonly number[], logits: 'last' | 'all', options: CpuRunOptions = {}): Promise<Float32Array[]> {
    const cfg = this.config;
    if (this.length + tokens.length > this.contextLength) {
      throw new RangeError(`${this.length + tokens.length} positions exceed the CPU context of ${this.contextLength}`);
    }
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= cfg.vocabSize) throw new RangeError(`token id ${t} is outside the vocabulary [0, ${cfg.vocabSize})`);
    }
    const out: Float32Array[] = [];
    this.aborted = false;
    for (let c = 0; c < tokens.length; c += this.chunk) {
      // Let the worker read its messages (interrupt, cancel) before each chunk: the products run synchronously.
      await yieldToEvents();
      if (c > 0 && options.signal?.aborted) {
        this.aborted = true;
        return out;
      }
      const part = tokens.slice(c, c + this.chunk);
      const last = c + this.chunk >= tokens.length;
      const copy = logits === 'all' || (options.copyLogits ?? true);
      await this.runChunk(part, logits === 'all' ? 'all' : last ? 'last' : 'none', options.skipSharedLayersForUnusedRows ?? true, copy, out);
    }
    return out;
  }

  private async runChunk(tokens: readonly number[], want: 'all' | 'last' | 'none', skip: boolean, copy: boolean, out: Float32Array[]): Promise<void> {
    const cfg = this.config;
    const W = this.weights;
    const H = cfg.hiddenSize;
    const P = cfg.pleWidth;
    const L = cfg.numLayers;
    const M = tokens.length;
    const start = this.length;
    const eps = cfg.rmsNormEps;
    const arena = this.products.arena;
    const view = (ptr: number, n: number) => arena.f32(ptr, n);
    const b = this.buf;

    // §3.1 embeddings (scaled) and §3.2 per-layer inputs, for every row.
    const ops = this.ops;
    const embRows = await Promise.all(tokens.map((t) => W.embeddingRow(t)));
    const pleRows = P > 0 ? await Promise.all(tokens.map((t) => W.pleRow(t))) : [];
    const hidden = view(b.hidden, M * H);
    for (let m = 0; m < M; m++) hidden.set(embRows[m], m * H);
    ops.scale(b.hidden, M * H, cfg.embedScale);
    for (const [invFreq, t] of this.rope) fillRopeTables(view(t.cos, M * t.half), view(t.sin, M * t.half), start, M, invFreq);
    if (P > 0) {
      this.products.prepare(b.hidden, M, H);
      this.products.run([W.pleModelProj!], [b.ple]);
      ops.scale(b.ple, M * L * P, 1 / Math.sqrt(H));
      ops.rmsNormRows(b.ple, b.ple, M * L, P, W.pleProjNorm!, eps);
      const c = view(b.ple, M * L * P);
      const pl = view(b.pleIn, M * L * P);
      const rowScale = Math.sqrt(P);
      for (let m = 0; m < M; m++) {
        const row = pleRows[m];
        const o = m * L * P;
        for (let k = 0; k < L * P; k++) pl[o + k] = (c[o + k] + row[k] * rowScale) * Math.SQRT1_2;
      }
    }

    for (const layer of cfg.layers) {
      // Rows this layer must process: all while layers still write K/V; past F only rows whose logits are wanted.
      let r0 = 0;
      let n = M;
      if (!layer.ownsKv && skip && want !== 'all') {
        if (want === 'none') break;
        r0 = M - 1;
        n = 1;
      }
      this.layer(layer.index, r0, n, start);
    }
    this.length = start + M;

    const rows = want === 'all' ? [...Array(M).keys()] : want === 'last' ? [M - 1] : [];
    for (const r of rows) {
      ops.rmsNormRows(b.a, b.hidden + 4 * r * H, 1, H, W.outputNorm, eps);
      this.products.prepare(b.a, 1, H);
      this.products.run([W.output], [b.logits]);
      ops.softcap(b.logits, cfg.vocabSize, cfg.finalLogitSoftcap);
      out.push(copy ? Float32Array.from(view(b.logits, cfg.vocabSize)) : view(b.logits, cfg.vocabSize));
    }
  }

  /** One decoder layer on rows [r0, r0 + n) of the chunk (positions start + r0 ...). */
  private layer(index: number, r0: number, n: number, start: number): void {
    const cfg = this.config;
    const layer = cfg.layers[index];
    const lw = this.weights.layers[index];
    const H = cfg.hiddenSize;
    const P = cfg.pleWidth;
    const L = cfg.numLayers;
    const eps = cfg.rmsNormEps;
    const { headDim: hd, numHeads, numKvHeads } = layer;
    const qw = numHeads * hd;
    const F = layer.ffnWidth;
    const pr = this.products;
    const ops = this.ops;
    const b = this.buf;
    const hp = b.hidden + 4 * r0 * H;
    const run = (x: number, K: number, ws: WasmWeight[], ys: number[]) => {
      pr.prepare(x, n, K);
      pr.run(ws, ys);
    };

    // Attention block.
    ops.rmsNormRows(b.a, hp, n, H, lw.attnNorm, eps);
    const cache = this.caches[layer.kvSourceLayer]!;
    // No attn_v (gguf-gemma4.md, "optional everywhere"): V is the K projection before k_norm, so V reads b.k,
    // which k_norm below leaves untouched (it normalizes into the cache).
    const vPtr = lw.v ? b.v : b.k;
    if (layer.ownsKv && lw.v) run(b.a, H, [lw.q, lw.k!, lw.v], [b.q, b.k, b.v]);
    else if (layer.ownsKv) run(b.a, H, [lw.q, lw.k!], [b.q, b.k]);
    else run(b.a, H, [lw.q], [b.q]);
    const rope = this.rope.get(layer.ropeInvFreq)!;
    const cos = rope.cos + 4 * r0 * rope.half;
    const sin = rope.sin + 4 * r0 * rope.half;
    ops.rmsNormRows(b.q, b.q, n * numHeads, hd, lw.qNorm, eps);
    ops.ropeRows(b.q, n, numHeads, hd, cos, sin);
    const pos0 = start + r0;
    if (layer.ownsKv) {
      // Rows of this chunk go to cache rows pos0 .. pos0 + n - 1 (run() keeps positions below the capacity).
      const at = 4 * pos0 * cache.width;
      ops.rmsNormRows(cache.keys + at, b.k, n * numKvHeads, hd, lw.kNorm!, eps);
      ops.rmsNormRows(cache.values + at, vPtr, n * numKvHeads, hd, 0, eps);
      ops.ropeRows(cache.keys + at, n, numKvHeads, hd, cos, sin);
    }
    ops.writeAttendParams(this.attnParams, {
      out: b.attn,
      q: b.q,
      rows: n,
      pos0,
      keys: cache.keys,
      values: cache.values,
      width: cache.width,
      heads: numHeads,
      kvHeads: numKvHeads,
      headDim: hd,
      window: layer.window,
      scores: this.scores,
      scoreStride: this.contextLength,
    });
    pr.attend(this.attnParams, numHeads);
    run(b.attn, qw, [lw.o], [b.b]);
    ops.addRmsNormRows(hp, b.b, n, H, lw.postAttnNorm, eps);

    // MLP block (the layer scalar joins the block's last residual add).
    const s = cfg.layerScalars[index];
    ops.rmsNormRows(b.a, hp, n, H, lw.ffnNorm, eps);
    run(b.a, H, [lw.gate, lw.up], [b.gate, b.up]);
    ops.gegluRows(b.gate, b.up, 1, n * F);
    run(b.gate, F, [lw.down], [b.b]);
    ops.addRmsNormRows(hp, b.b, n, H, lw.postFfnNorm, eps, P > 0 ? 1 : s);

    // Per-layer-input block: gelu(gate) times this layer's slice of the per-layer inputs.
    if (P > 0) {
      run(hp, H, [lw.pleGate!], [b.ple]);
      ops.gegluRows(b.ple, b.pleIn + 4 * (r0 * L * P + index * P), n, P, L * P);
      run(b.ple, P, [lw.pleProj!], [b.b]);
      ops.addRmsNormRows(hp, b.b, n, H, lw.plePostNorm!, eps, s);
    }
  }
}
