// The Gemma 4 forward pass on the CPU (spec gemma4-architecture.md §3), config-driven like the reference:
// sliding/full layers, GQA, KV-shared layers reading their source layer's cache, the §3.5 skip of shared layers
// for rows whose logits are not wanted, per-layer embeddings read per token from the file, layer scalars.
// Products run in wasm (cpu/products.ts); the small per-row ops in TypeScript (cpu/small-ops.ts).
import { yieldToEvents } from './yield-to-events.js';
import type { ByteSource, GgufHeader } from '../gguf/types.js';
import type { GemmaConfig } from '../model/config.js';
import { loadCpuWeights, type CpuWeights, type PackedCacheOptions } from './cpu-weights.js';
import { createProducts, type ProductOptions, type Products } from './products.js';
import { createThreadedProducts, type SpawnWorker } from './threads.js';
import { addRmsNorm, attendInto, createKvRing, gegluInto, gelu, rmsNormInto, ropeInto, softcapInto, type KvRing } from './small-ops.js';
import type { WasmWeight } from './wasm-kernels.js';

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
  private readonly caches: (KvRing | undefined)[];
  private readonly buf: Buffers;
  private readonly scores: Float64Array;

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
    this.caches = config.layers.map((l) => (l.ownsKv ? createKvRing(this.contextLength, l.numKvHeads * l.headDim) : undefined));
    const H = config.hiddenSize;
    const maxQ = Math.max(...config.layers.map((l) => l.numHeads * l.headDim));
    const maxKv = Math.max(...config.layers.map((l) => l.numKvHeads * l.headDim));
    const maxF = Math.max(...config.layers.map((l) => l.ffnWidth));
    const LP = config.numLayers * config.pleWidth;
    const arena = products.arena;
    const f = (n: number) => arena.alloc(4 * Math.max(n, 4));
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
    this.scores = new Float64Array(this.contextLength);
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

  /** Stops helper threads (if any); the model is unusable afterwards. */
  close(): void {
    (this.products as { close?: () => void }).close?.();
  }

  /**
   * Runs `tokens` at positions length, length + 1, ... and appends them to the caches. Returns softcapped logits
   * for the last row ('last') or every row ('all'), as fresh arrays.
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
      await this.runChunk(part, logits === 'all' ? 'all' : last ? 'last' : 'none', options.skipSharedLayersForUnusedRows ?? true, out);
    }
    return out;
  }

  private async runChunk(tokens: readonly number[], want: 'all' | 'last' | 'none', skip: boolean, out: Float32Array[]): Promise<void> {
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
    const embRows = await Promise.all(tokens.map((t) => W.embeddingRow(t)));
    const pleRows = P > 0 ? await Promise.all(tokens.map((t) => W.pleRow(t))) : [];
    let hidden = view(b.hidden, M * H);
    for (let m = 0; m < M; m++) for (let i = 0; i < H; i++) hidden[m * H + i] = embRows[m][i] * cfg.embedScale;
    if (P > 0) {
      this.products.prepare(b.hidden, M, H);
      this.products.run([W.pleModelProj!], [b.ple]);
      const c = view(b.ple, M * L * P);
      const pl = view(b.pleIn, M * L * P);
      const inv = 1 / Math.sqrt(H);
      const rowScale = Math.sqrt(P);
      for (let m = 0; m < M; m++) {
        for (let s = 0; s < L; s++) {
          const o = m * L * P + s * P;
          for (let k = 0; k < P; k++) c[o + k] *= inv;
          rmsNormInto(c, o, c, o, P, W.pleProjNorm, eps);
          for (let k = 0; k < P; k++) pl[o + k] = (c[o + k] + pleRows[m][s * P + k] * rowScale) * Math.SQRT1_2;
        }
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
    hidden = view(b.hidden, M * H);
    for (const r of rows) {
      const a = view(b.a, H);
      rmsNormInto(a, 0, hidden, r * H, H, W.outputNorm, eps);
      this.products.prepare(b.a, 1, H);
      this.products.run([W.output], [b.logits]);
      const z = Float32Array.from(view(b.logits, cfg.vocabSize));
      softcapInto(z, cfg.finalLogitSoftcap);
      out.push(z);
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
    const kvw = numKvHeads * hd;
    const F = layer.ffnWidth;
    const arena = this.products.arena;
    const pr = this.products;
    const b = this.buf;
    const hp = b.hidden + 4 * r0 * H;
    const hidden = arena.f32(hp, n * H);
    const run = (x: number, K: number, ws: WasmWeight[], ys: number[]) => {
      pr.prepare(x, n, K);
      pr.run(ws, ys);
    };

    // Attention block.
    let a = arena.f32(b.a, n * H);
    for (let m = 0; m < n; m++) rmsNormInto(a, m * H, hidden, m * H, H, lw.attnNorm, eps);
    const cache = this.caches[layer.kvSourceLayer]!;
    // No attn_v (gguf-gemma4.md, "optional everywhere"): V is the K projection before k_norm, so V reads b.k,
    // which k_norm below leaves untouched (it normalizes into the cache).
    const vPtr = lw.v ? b.v : b.k;
    if (layer.ownsKv && lw.v) run(b.a, H, [lw.q, lw.k!, lw.v], [b.q, b.k, b.v]);
    else if (layer.ownsKv) run(b.a, H, [lw.q, lw.k!], [b.q, b.k]);
    else run(b.a, H, [lw.q], [b.q]);
    const q = arena.f32(b.q, n * qw);
    for (let m = 0; m < n; m++) {
      const pos = start + r0 + m;
      for (let h = 0; h < numHeads; h++) rmsNormInto(q, m * qw + h * hd, q, m * qw + h * hd, hd, lw.qNorm, eps);
      ropeInto(q, m * qw, numHeads, hd, pos, layer.ropeInvFreq);
      if (layer.ownsKv) {
        const k = arena.f32(b.k, n * kvw);
        const v = arena.f32(vPtr, n * kvw);
        const slot = (pos % cache.capacity) * cache.width;
        for (let h = 0; h < numKvHeads; h++) {
          rmsNormInto(cache.keys, slot + h * hd, k, m * kvw + h * hd, hd, lw.kNorm, eps);
          rmsNormInto(cache.values, slot + h * hd, v, m * kvw + h * hd, hd, undefined, eps);
        }
        ropeInto(cache.keys, slot, numKvHeads, hd, pos, layer.ropeInvFreq);
      }
    }
    const attn = arena.f32(b.attn, n * qw);
    for (let m = 0; m < n; m++) {
      attendInto(attn, m * qw, q, m * qw, start + r0 + m, cache, numHeads, numKvHeads, hd, layer.window, this.scores);
    }
    run(b.attn, qw, [lw.o], [b.b]);
    let bv = arena.f32(b.b, n * H);
    for (let m = 0; m < n; m++) addRmsNorm(hidden, m * H, bv, m * H, H, lw.postAttnNorm, eps);

    // MLP block.
    a = arena.f32(b.a, n * H);
    for (let m = 0; m < n; m++) rmsNormInto(a, m * H, hidden, m * H, H, lw.ffnNorm, eps);
    run(b.a, H, [lw.gate, lw.up], [b.gate, b.up]);
    const g = arena.f32(b.gate, n * F);
    const u = arena.f32(b.up, n * F);
    gegluInto(g, 0, u, 0, n * F);
    run(b.gate, F, [lw.down], [b.b]);
    bv = arena.f32(b.b, n * H);
    for (let m = 0; m < n; m++) addRmsNorm(hidden, m * H, bv, m * H, H, lw.postFfnNorm, eps);

    // Per-layer-input block.
    if (P > 0) {
      run(hp, H, [lw.pleGate!], [b.ple]);
      const pg = arena.f32(b.ple, n * P);
      const pl = arena.f32(b.pleIn, (r0 + n) * L * P);
      for (let m = 0; m < n; m++) {
        const src = (r0 + m) * L * P + index * P;
        for (let k = 0; k < P; k++) pg[m * P + k] = gelu(pg[m * P + k]) * pl[src + k];
      }
      run(b.ple, P, [lw.pleProj!], [b.b]);
      bv = arena.f32(b.b, n * H);
      for (let m = 0; m < n; m++) addRmsNorm(hidden, m * H, bv, m * H, H, lw.plePostNorm!, eps);
    }
    const s = cfg.layerScalars[index];
    if (s !== 1) for (let i = 0; i < n * H; i++) hidden[i] *= s;
  }
}
