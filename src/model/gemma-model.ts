// GemmaModel: a loaded model on the GPU with its KV cache. Runs token chunks through the forward pass
// (chunked prefill with the exact KV-shared-layer skip of spec §3.5, single-token decode) and exposes the logits.
import { probeMatvecSubgroups } from '../kernels/matvec-probe.js';
import type { ByteSource, GgufHeader } from '../gguf/types.js';
import type { GpuContext } from '../gpu/context.js';
import type { BoundOp } from '../gpu/kernel.js';
import { readF32 } from '../gpu/readback.js';
import { recordOps } from '../gpu/recorder.js';
import type { GemmaConfig } from './config.js';
import { GpuForward, type Lane } from './gpu-forward.js';
import { loadGpuWeights, type WeightLoadProgress } from './gpu-weights.js';
import { createKvCache } from './kv-cache.js';
import { loadGemmaConfig } from './load-config.js';
import { createPleRowSource, type PleRowSource } from './ple-rows.js';

export interface GemmaModelOptions {
  /** Context length to allocate the KV cache for (default: min(model, 4096)). */
  readonly contextLength?: number;
  /** Prefill chunk sizes, largest first (default [64, 16, 4]). */
  readonly chunkSizes?: readonly number[];
  /** Allocate logits for every prompt row, for run(..., 'all') (the logits command, tests). Default false. */
  readonly allRowLogits?: boolean;
  /** Keep the quantized per-layer-embedding table in memory (default) or read rows from the source on demand. */
  readonly pleInMemory?: boolean;
  readonly onProgress?: (p: WeightLoadProgress) => void;
}

export type LogitsMode = 'none' | 'last' | 'all';

/** Milliseconds spent in each part of load(). */
export interface LoadTimings {
  readonly configMs: number;
  /** Reading tensors from the source, repacking and uploading them. */
  readonly weightsMs: number;
  /** Building every lane's pipelines and bind groups. */
  readonly opsMs: number;
  /** Per-layer-embedding table (read into memory, or opened for on-demand rows). */
  readonly pleMs: number;
}

export interface RunResult {
  /** 'all': one row per token; 'last': one row; 'none': empty. Only filled when `readLogits`. */
  readonly logits: Float32Array[];
  readonly dispatches: number;
  /** True when `signal` was set between chunks and the rest of the tokens did not run. */
  readonly aborted: boolean;
}

export class GemmaModel {
  /** Tokens in the KV cache. */
  position = 0;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: GemmaConfig,
    readonly forward: GpuForward,
    readonly contextLength: number,
    private readonly pleRows: PleRowSource | undefined,
    readonly loadTimings: LoadTimings,
  ) {}

  static async load(ctx: GpuContext, source: ByteSource, header: GgufHeader, options: GemmaModelOptions = {}): Promise<GemmaModel> {
    const t0 = performance.now();
    const config = await loadGemmaConfig(source, header);
    const t1 = performance.now();
    const contextLength = Math.min(config.contextLength, options.contextLength ?? 4096);
    const chunkSizes = [...(options.chunkSizes ?? [64, 16, 4])].filter((m) => m > 1 && m <= contextLength).sort((a, b) => b - a);
    const weights = await loadGpuWeights(ctx, source, header, config, options.onProgress);
    const t2 = performance.now();
    await probeMatvecSubgroups(ctx); // before any op is bound: decides the matvec variant
    const kv = createKvCache(ctx, config, contextLength, Math.max(1, ...chunkSizes));
    const forward = new GpuForward(ctx, config, weights, kv, { chunkSizes, allRowLogits: options.allRowLogits });
    const t3 = performance.now();
    const pleInfo = header.tensors.find((t) => t.name === 'per_layer_token_embd.weight');
    const pleRows = pleInfo ? await createPleRowSource(source, header, pleInfo, { inMemory: options.pleInMemory ?? true }) : undefined;
    const t4 = performance.now();
    const timings = { configMs: t1 - t0, weightsMs: t2 - t1, opsMs: t3 - t2, pleMs: t4 - t3 };
    return new GemmaModel(ctx, config, forward, contextLength, pleRows, timings);
  }

  /** Forgets the conversation (the KV cache is simply overwritten from position 0). */
  reset(): void {
    this.position = 0;
  }

  /** Splits n tokens into prefill chunks (largest lanes first) with a 1-token remainder on the decode lane. */
  planChunks(n: number): number[] {
    const out: number[] = [];
    let left = n;
    for (const m of this.forward.options.chunkSizes) {
      while (left >= m) {
        out.push(m);
        left -= m;
      }
    }
    while (left-- > 0) out.push(1);
    return out;
  }

  /**
   * Model-internal (the token generator and tests use it; the runtime goes through TokenGenerator).
   * Runs `tokens` at positions position..position+n-1. With logits 'last', row 0 of forward.logits holds the last
   * token's raw logits after the submit (before softcap) and `after` ops (a sampler) run in the same submit.
   */
  async run(
    tokens: readonly number[],
    mode: LogitsMode,
    options: {
      after?: readonly BoundOp[];
      /** Adds copies after the last chunk's compute pass (e.g. the sampled id into a staging buffer). */
      copyAfter?: (encoder: GPUCommandEncoder) => void;
      readLogits?: boolean;
      step?: number;
      seed?: number;
      /** Checked before every chunk but the first: a long prefill can be abandoned between chunks. */
      signal?: { readonly aborted: boolean };
    } = {},
  ): Promise<RunResult> {
    if (tokens.length === 0) throw new RangeError('run: no tokens');
    if (this.position + tokens.length > this.contextLength) {
      throw new RangeError(`${this.position + tokens.length} tokens exceed the context length ${this.contextLength}`);
    }
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= this.config.vocabSize) throw new RangeError(`token id ${t} is outside the vocabulary`);
    }
    const f = this.forward;
    if (mode === 'all' && f.logitRows === 1 && tokens.length > 1) {
      throw new RangeError("logits for every row need a model loaded with { allRowLogits: true }");
    }
    const F = this.config.firstSharedLayer;
    const L = this.config.numLayers;
    const chunks = this.planChunks(tokens.length);
    const logits: Float32Array[] = [];
    let dispatches = 0;
    let offset = 0;
    for (let ci = 0; ci < chunks.length; ci++) {
      if (ci > 0 && options.signal?.aborted) return { logits, dispatches, aborted: true };
      const rows = chunks[ci];
      const last = ci === chunks.length - 1;
      const chunk = tokens.slice(offset, offset + rows);
      const lane: Lane = rows === 1 ? f.decode : f.prefill.get(rows)!;
      const ple = await this.gatherPle(chunk);
      f.writeInputs(lane, chunk, ple, this.position, options.step ?? 0, options.seed ?? 0);
      const ops: BoundOp[] = [...lane.input];
      let headRows = 0;
      if (mode === 'all') {
        ops.push(...f.layerOps(lane, 0, L), ...lane.head, ...f.softcapOps(rows));
        headRows = rows;
      } else if (mode === 'last' && last) {
        if (rows === 1) {
          ops.push(...f.layerOps(lane, 0, L), ...lane.head);
        } else {
          f.writeDecodeStep(this.position + rows - 1, options.step ?? 0, options.seed ?? 0);
          ops.push(...f.layerOps(lane, 0, F), ...f.tailCopy(rows), ...f.layerOps(f.decode, F, L), ...f.decode.head);
        }
        if (options.after) ops.push(...options.after);
        if (options.readLogits) ops.push(...f.softcapOps(1));
        headRows = 1;
      } else {
        ops.push(...f.layerOps(lane, 0, F)); // no logits needed: layers >= F write no cache (spec §3.5)
      }
      const { commandBuffer, dispatches: n } = recordOps(this.ctx, ops, last ? options.copyAfter : undefined, `chunk ${rows}`);
      this.ctx.device.queue.submit([commandBuffer]);
      dispatches += n;
      this.position += rows;
      offset += rows;
      if (options.readLogits && headRows > 0) {
        const V = this.config.vocabSize;
        const all = await readF32(this.ctx, f.logits, 0, headRows * V);
        for (let r = 0; r < headRows; r++) logits.push(all.slice(r * V, (r + 1) * V));
      }
    }
    return { logits, dispatches, aborted: false };
  }

  private async gatherPle(tokens: readonly number[]): Promise<Float32Array | undefined> {
    if (!this.pleRows) return undefined;
    const out = this.forward.pleBuffer.subarray(0, tokens.length * this.pleRows.width);
    await this.pleRows.gather(tokens, out);
    return out;
  }
}
