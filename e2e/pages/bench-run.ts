// The benchmark, run inside the page: copy-kernel bandwidth, model load, prefill (time to first token), decode,
// bytes per token, dispatches per token, GPU memory. Everything measured side by side in one run.
import { createStorageBuffer } from '../../src/gpu/buffers.js';
import { createGpuContext, type GpuContext } from '../../src/gpu/context.js';
import { profileOps, summarizeTimings } from '../../src/gpu/profile.js';
import { submitOps } from '../../src/gpu/recorder.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { bindBandwidthCopy } from '../../src/kernels/bandwidth-copy.js';
import { GemmaModel } from '../../src/model/gemma-model.js';
import { GpuTokenGenerator, type SamplingParams } from '../../src/model/generator.js';
import { decodeTraffic } from '../../src/model/traffic.js';
import { openHttpSource } from '../../src/storage/http-source.js';

export interface BenchOptions {
  readonly promptTokens: number;
  readonly decodeTokens: number;
  readonly contextLength: number;
  readonly copyMiB: number;
  /** Also time every op of one decode step (timestamp queries) and report the time per kernel and tensor. */
  readonly profile?: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function copyBandwidth(ctx: GpuContext, mib: number): Promise<number> {
  const bytes = mib * 1024 * 1024;
  const src = createStorageBuffer(ctx, bytes, 'bench src');
  const dst = createStorageBuffer(ctx, bytes, 'bench dst');
  const op = bindBandwidthCopy(ctx, { src, dst, bytes });
  submitOps(ctx, [op]);
  await ctx.device.queue.onSubmittedWorkDone(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    submitOps(ctx, [op, op]);
    await ctx.device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / 2);
  }
  src.destroy();
  dst.destroy();
  ctx.allocatedBytes -= 2 * bytes;
  return (2 * bytes) / (median(times) / 1000) / 1e9; // read + write
}

export async function runBench(url: string, o: BenchOptions) {
  const ctx = await createGpuContext();
  try {
    const copyGBps = await copyBandwidth(ctx, o.copyMiB);
    const t0 = performance.now();
    const source = await openHttpSource(url);
    const header = await readGgufHeader(source);
    const model = await GemmaModel.load(ctx, source, header, { contextLength: o.contextLength });
    const loadMs = performance.now() - t0;
    const gpuBytes = ctx.allocatedBytes;
    const f = model.forward;
    const generator = new GpuTokenGenerator(ctx, model);
    const sampling: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, seed: 0 };
    const prompt = Array.from({ length: o.promptTokens }, (_, i) => (i === 0 ? 2 : 1000 + ((i * 7919) % 200000)));

    const p0 = performance.now();
    let token = (await generator.prefill(prompt, { sampling, step: 0 }))!.token;
    const ttftMs = performance.now() - p0;
    const prefillDispatches = generator.lastDispatches;

    const stepMs: number[] = [];
    let dispatches = 0;
    for (let i = 0; i < o.decodeTokens; i++) {
      const s0 = performance.now();
      token = (await generator.next(token % model.config.vocabSize, { sampling, step: i + 1 })).token;
      stepMs.push(performance.now() - s0);
      dispatches = generator.lastDispatches;
    }
    // The same prompt again with every pipeline compiled: prefill speed without the one-time compilation that
    // the first (cold) prompt's time includes. Positions continue after the decoded tokens when they fit.
    let prefillWarmMs: number | undefined;
    if (model.position + o.promptTokens <= model.contextLength) {
      const w0 = performance.now();
      token = (await generator.prefill(prompt, { sampling, step: 0 }))!.token;
      prefillWarmMs = performance.now() - w0;
    }
    // One more decode step's ops (same inputs as the last step), each timed in its own pass.
    const L = model.config.numLayers;
    const profile = o.profile ? await profileOps(ctx, [...f.decode.input, ...f.layerOps(f.decode, 0, L), ...f.decode.head, ...generator.samplerOps()]) : null;
    const traffic = decodeTraffic(model.config, f.weights, model.position);
    const decodeMs = median(stepMs);
    const effectiveGBps = traffic.total / (decodeMs / 1000) / 1e9;
    return {
      adapter: { ...ctx.adapterInfo, features: { ...ctx.features } },
      model: { layers: model.config.numLayers, hidden: model.config.hiddenSize, vocab: model.config.vocabSize, fileBytes: source.size },
      contextLength: model.contextLength,
      loadMs,
      loadTimings: model.loadTimings,
      gpuBytes,
      kvBytes: f.kv.byteSize,
      promptTokens: o.promptTokens,
      ttftMs,
      prefillTokensPerSecond: o.promptTokens / (ttftMs / 1000),
      prefillWarmTokensPerSecond: prefillWarmMs === undefined ? undefined : o.promptTokens / (prefillWarmMs / 1000),
      prefillDispatches,
      decodeTokens: o.decodeTokens,
      decodeMsMedian: decodeMs,
      decodeTokensPerSecond: 1000 / decodeMs,
      weightBytesPerToken: traffic.weightBytes,
      kvBytesPerToken: traffic.kvBytes,
      dispatchesPerToken: dispatches,
      effectiveGBps,
      copyGBps,
      ratioToCopy: effectiveGBps / copyGBps,
      profile: profile ? { totalMs: profile.reduce((t, p) => t + p.ms, 0), ops: summarizeTimings(profile) } : undefined,
      errors: [...ctx.errors],
    };
  } finally {
    ctx.destroy();
  }
}
