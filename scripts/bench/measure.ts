// The benchmark of one model on one GPU context: copy-kernel bandwidth, model load, prefill at each prompt length
// (cold and warm), decode, bytes and dispatches per token, GPU memory and, with `profile`, the time of every op of
// one decode step and one prefill chunk (timestamp queries). Browser-safe: the page (npm run bench) and the
// Node kit (Dawn) both call it, with the byte source each has.
import { createStorageBuffer } from '../../src/gpu/buffers.js';
import { REQUESTED_LIMITS, type GpuContext } from '../../src/gpu/context.js';
import { profileOps, summarizeTimings } from '../../src/gpu/profile.js';
import { submitOps } from '../../src/gpu/recorder.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import type { ByteSource } from '../../src/gguf/types.js';
import { bindBandwidthCopy } from '../../src/kernels/bandwidth-copy.js';
import { GemmaModel } from '../../src/model/gemma-model.js';
import { GpuTokenGenerator, type SamplingParams } from '../../src/model/generator.js';
import { decodeTraffic } from '../../src/model/traffic.js';

export interface MeasureOptions {
  /** Prompt lengths; the first one is also the position decode runs at. Each must fit the context. */
  readonly prompts: readonly number[];
  readonly decodeTokens: number;
  readonly contextLength: number;
  readonly copyMiB: number;
  /** Also time every op of one decode step and one prefill chunk (timestamp queries). */
  readonly profile?: boolean;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly ops: Array<{ name: string; count: number; ms: number; share: number }>;
}

export interface PrefillMeasure {
  readonly promptTokens: number;
  /** Prompt in, first token id read back: time to first token. The first prompt's includes pipeline compilation. */
  readonly ttftMs: number;
  readonly tokensPerSecond: number;
  /** The same prompt again from position 0, every pipeline compiled. */
  readonly warmTtftMs: number;
  readonly warmTokensPerSecond: number;
  readonly dispatches: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * GB/s of the copy kernel (bytes read plus bytes written), the roofline the decode figures are compared to:
 * `wall` from submit to done with 4 copies per submit (as a decode step is timed), `timestamps` from timestamp
 * queries around single copies (no submit overhead; undefined without timestamp-query).
 */
export async function copyBandwidth(ctx: GpuContext, mib: number): Promise<{ wall: number; timestamps?: number }> {
  const bytes = mib * 1024 * 1024;
  const src = createStorageBuffer(ctx, bytes, 'bench src');
  const dst = createStorageBuffer(ctx, bytes, 'bench dst');
  try {
    const op = bindBandwidthCopy(ctx, { src, dst, bytes });
    submitOps(ctx, [op]);
    await ctx.device.queue.onSubmittedWorkDone(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      submitOps(ctx, [op, op, op, op]);
      await ctx.device.queue.onSubmittedWorkDone();
      times.push((performance.now() - t0) / 4);
    }
    const stamped = await profileOps(ctx, [op, op, op, op, op]);
    const gbps = (ms: number) => (2 * bytes) / (ms / 1000) / 1e9;
    return { wall: gbps(median(times)), timestamps: stamped ? gbps(median(stamped.map((t) => t.ms))) : undefined };
  } finally {
    src.destroy();
    dst.destroy();
    ctx.allocatedBytes -= 2 * bytes;
  }
}

/** Device limits and features as granted (the engine asks for the adapter's maxima of the limits it uses). */
export function deviceReport(ctx: GpuContext) {
  // The requested limits, plus the offset alignment the engine reads but leaves at its default.
  const names = [...REQUESTED_LIMITS, 'minStorageBufferOffsetAlignment'] as const;
  const limits: Record<string, number> = {};
  for (const n of names) limits[n] = ctx.device.limits[n] as number;
  return { ...ctx.adapterInfo, features: { ...ctx.features }, deviceFeatures: [...ctx.device.features].sort(), limits };
}

export async function measureModel(ctx: GpuContext, source: ByteSource, o: MeasureOptions) {
  if (o.prompts.length === 0) throw new RangeError('measureModel: no prompt lengths');
  const copy = await copyBandwidth(ctx, o.copyMiB);
  const copyGBps = copy.wall;
  const t0 = performance.now();
  const header = await readGgufHeader(source);
  const model = await GemmaModel.load(ctx, source, header, { contextLength: o.contextLength });
  const loadMs = performance.now() - t0;
  const gpuBytes = ctx.allocatedBytes;
  for (const p of o.prompts) {
    if (p < 1 || p + o.decodeTokens > model.contextLength) {
      throw new RangeError(`prompt ${p} + decode ${o.decodeTokens} tokens do not fit the context of ${model.contextLength}`);
    }
  }
  const f = model.forward;
  const V = model.config.vocabSize;
  const generator = new GpuTokenGenerator(ctx, model);
  const sampling: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, seed: 0 };
  const promptOf = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 2 : 1000 + ((i * 7919) % 200000)) % V);
  /** Prefill (several tokens) or one decode step from the current position: the sampled id, ms and dispatches. */
  const timedRun = async (tokens: number[], step: number) => {
    const s0 = performance.now();
    const { token } = (await generator.prefill(tokens, { sampling, step }))!;
    return { token, ms: performance.now() - s0, dispatches: generator.lastDispatches };
  };

  const prefill: PrefillMeasure[] = [];
  const stepMs: number[] = [];
  let dispatchesPerToken = 0;
  for (const [i, n] of o.prompts.entries()) {
    const prompt = promptOf(n);
    model.reset();
    const cold = await timedRun(prompt, 0);
    if (i === 0) {
      let token = cold.token;
      for (let s = 0; s < o.decodeTokens; s++) {
        const r = await timedRun([token], s + 1);
        token = r.token;
        stepMs.push(r.ms);
        dispatchesPerToken = r.dispatches;
      }
    }
    model.reset();
    const warm = await timedRun(prompt, 0);
    prefill.push({
      promptTokens: n,
      ttftMs: cold.ms,
      tokensPerSecond: n / (cold.ms / 1000),
      warmTtftMs: warm.ms,
      warmTokensPerSecond: n / (warm.ms / 1000),
      dispatches: warm.dispatches,
    });
  }
  // Position for the decode-step profile and the traffic figure: where decode ran (after the first prompt).
  const decodePosition = o.prompts[0] + Math.max(0, o.decodeTokens - 1);
  const L = model.config.numLayers;
  const F = model.config.firstSharedLayer;
  let profile: ProfileSummary | undefined;
  let prefillProfile: (ProfileSummary & { rows: number }) | undefined;
  if (o.profile) {
    // The last warm prompt left its inputs in the decode lane and in its largest chunk lane: the same ops run again.
    const d = await profileOps(ctx, [...f.decode.input, ...f.layerOps(f.decode, 0, L), ...f.decode.head, ...generator.samplerOps()]);
    if (d) profile = { totalMs: d.reduce((t, p) => t + p.ms, 0), ops: summarizeTimings(d) };
    const rows = Math.max(0, ...[...f.prefill.keys()].filter((m) => m <= Math.max(...o.prompts)));
    const lane = f.prefill.get(rows);
    if (lane) {
      // A chunk that is not the prompt's last: every row through layers < F (spec §3.5), no head.
      const p = await profileOps(ctx, [...lane.input, ...f.layerOps(lane, 0, F)]);
      if (p) prefillProfile = { rows, totalMs: p.reduce((t, x) => t + x.ms, 0), ops: summarizeTimings(p) };
    }
  }
  const traffic = decodeTraffic(model.config, f.weights, decodePosition);
  const decodeMs = stepMs.length ? median(stepMs) : NaN;
  const effectiveGBps = traffic.total / (decodeMs / 1000) / 1e9;
  generator.destroy();
  const first = prefill[0];
  return {
    adapter: deviceReport(ctx),
    model: { layers: L, hidden: model.config.hiddenSize, vocab: V, fileBytes: source.size },
    contextLength: model.contextLength,
    loadMs,
    loadTimings: model.loadTimings,
    gpuBytes,
    kvBytes: f.kv.byteSize,
    // The first prompt's figures under the names `npm run bench` has always printed.
    promptTokens: first.promptTokens,
    ttftMs: first.ttftMs,
    prefillTokensPerSecond: first.tokensPerSecond,
    prefillWarmTokensPerSecond: first.warmTokensPerSecond,
    prefillDispatches: first.dispatches,
    prefill,
    decodeTokens: o.decodeTokens,
    decodePosition,
    decodeMsMedian: decodeMs,
    decodeMsAll: stepMs,
    decodeTokensPerSecond: 1000 / decodeMs,
    weightBytesPerToken: traffic.weightBytes,
    kvBytesPerToken: traffic.kvBytes,
    dispatchesPerToken,
    effectiveGBps,
    copyGBps,
    copyGBpsTimestamps: copy.timestamps,
    ratioToCopy: effectiveGBps / copyGBps,
    profile,
    prefillProfile,
    errors: [...ctx.errors],
  };
}

export type ModelMeasure = Awaited<ReturnType<typeof measureModel>>;
