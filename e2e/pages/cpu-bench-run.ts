// The CPU path's benchmark inside the page: load (repack) time, prefill (time to first token), greedy decode through
// the CpuTokenGenerator, wasm memory, effective GB/s of packed weights per token next to a wasm streaming read.
import { defaultCpuThreads, spawnWebWorker } from '../../src/cpu/web-spawn.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { CpuTokenGenerator } from '../../src/model/cpu-generator.js';
import type { SamplingParams } from '../../src/model/generator.js';
import { loadGemmaConfig } from '../../src/model/load-config.js';
import { openHttpSource } from '../../src/storage/http-source.js';

export interface CpuBenchOptions {
  readonly promptTokens: number;
  readonly decodeTokens: number;
  readonly contextLength: number;
  readonly threads?: number;
  readonly activations?: 'int8' | 'f32';
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runCpuBench(url: string, o: CpuBenchOptions) {
  const t0 = performance.now();
  const source = await openHttpSource(url);
  const header = await readGgufHeader(source);
  const config = await loadGemmaConfig(source, header);
  const { threads, why } = defaultCpuThreads(o.threads);
  const g = await CpuTokenGenerator.load(source, header, config, { contextLength: o.contextLength, threads, spawn: spawnWebWorker, activations: o.activations });
  try {
    const loadMs = performance.now() - t0;
    const f = g.forward;
    const k = f.products.kernels;
    let streamGBps = 0;
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      k.streamRead(64, Math.floor(f.weights.packedBytes / 64) * 64);
      streamGBps = Math.max(streamGBps, f.weights.packedBytes / 1e9 / ((performance.now() - s0) / 1000));
    }
    const sampling: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, seed: 0 };
    // Within the vocabulary, so tiny fixtures run too (the same ids as before for the real 262,144-token vocabulary).
    const prompt = Array.from({ length: o.promptTokens }, (_, i) => (i === 0 ? 2 : 1000 + ((i * 7919) % 200000)) % config.vocabSize);
    const p0 = performance.now();
    let token = (await g.prefill(prompt, { sampling, step: 0 }))!.token;
    const ttftMs = performance.now() - p0;
    const stepMs: number[] = [];
    for (let i = 0; i < o.decodeTokens; i++) {
      const s0 = performance.now();
      token = (await g.next(token, { sampling, step: i + 1 })).token;
      stepMs.push(performance.now() - s0);
    }
    const decodeMs = median(stepMs);
    return {
      backend: 'cpu',
      simd: k.relaxed ? 'relaxed' : 'plain',
      activations: f.products.mode,
      threads: f.products.threads,
      threadsReason: why,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      fileBytes: source.size,
      loadMs,
      promptTokens: o.promptTokens,
      ttftMs,
      prefillTokensPerSecond: o.promptTokens / (ttftMs / 1000),
      decodeTokens: o.decodeTokens,
      decodeMsMedian: decodeMs,
      decodeTokensPerSecond: 1000 / decodeMs,
      packedBytes: f.weights.packedBytes,
      wasmBytes: k.arena.memory.buffer.byteLength,
      effectiveGBps: f.weights.packedBytes / 1e9 / (decodeMs / 1000),
      streamReadGBps: streamGBps,
    };
  } finally {
    g.destroy();
  }
}
