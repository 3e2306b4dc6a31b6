// Test page: exposes the public client API to Playwright as window.harness. Streams land in #out like an app would.
import { createEngine, type GemmaEngine } from '../../src/api/client.js';
import type { LoadProgress } from '../../src/api/engine-api.js';
import { EngineError } from '../../src/api/errors.js';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../src/api/openai.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { createGpuContext } from '../../src/gpu/context.js';
import { GemmaModel } from '../../src/model/gemma-model.js';
import { runBench, type BenchOptions } from './bench-run.js';
import { runChatBench, type ChatBenchOptions } from './chat-bench-run.js';
import { runCpuBench, type CpuBenchOptions } from './cpu-bench-run.js';
import { runKernelBench, type KernelBenchOptions } from './kernel-bench-run.js';
import { openHttpSource } from '../../src/storage/http-source.js';
import type { WllamaBenchOptions } from '../../scripts/bench/peers-wllama-run.js';

let engine: GemmaEngine | undefined;
const out = document.getElementById('out')!;

const describe = (e: unknown) =>
  e instanceof EngineError
    ? { code: e.code, message: e.message, name: e.name, details: e.details }
    : { code: 'NOT_ENGINE_ERROR', message: String(e), name: (e as Error)?.name };

const harness = {
  /** GPU journeys force 'webgpu' (auto would pick the CPU path on SwiftShader's fallback adapter). */
  async load(url: string, contextLength = 256, backend: 'auto' | 'webgpu' | 'cpu' = 'webgpu') {
    engine ??= createEngine();
    const progress: LoadProgress[] = [];
    try {
      const info = await engine.load(url, { contextLength, backend, onProgress: (p) => progress.push(p) });
      return { ok: true as const, info, phases: [...new Set(progress.map((p) => p.phase))] };
    } catch (e) {
      return { ok: false as const, error: describe(e) };
    }
  },
  /** Loads a local File (built here from a download, as a file picker would hand it over). */
  async loadFile(url: string, name: string) {
    engine ??= createEngine();
    try {
      const blob = await (await fetch(url)).blob();
      const info = await engine.load(new File([blob], name), { backend: 'webgpu' });
      return { ok: true as const, info };
    } catch (e) {
      return { ok: false as const, error: describe(e) };
    }
  },
  /** The logits command's WebGPU backend: every row's softcapped logits as base64 float32 LE. */
  async logits(url: string, tokens: number[]) {
    const ctx = await createGpuContext();
    try {
      const source = await openHttpSource(url);
      const header = await readGgufHeader(source);
      const model = await GemmaModel.load(ctx, source, header, { contextLength: Math.max(16, tokens.length), allRowLogits: true });
      const { logits } = await model.run(tokens, 'all', { readLogits: true });
      const all = new Float32Array(logits.length * model.config.vocabSize);
      logits.forEach((row, i) => all.set(row, i * model.config.vocabSize));
      const bytes = new Uint8Array(all.buffer);
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { ok: true as const, nVocab: model.config.vocabSize, base64: btoa(binary), errors: [...ctx.errors] };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      return { ok: false as const, error: { code: err.code ?? 'ERROR', message: err.message ?? String(e) } };
    } finally {
      ctx.destroy();
    }
  },
  bench: (url: string, options: BenchOptions) => runBench(url, options),
  chatBench: (url: string, options: ChatBenchOptions) => runChatBench(url, options),
  benchCpu: (url: string, options: CpuBenchOptions) => runCpuBench(url, options),
  /** npm run bench:peers: llama.cpp in wasm (wllama) on gguf-split shards; loaded only when asked for. */
  benchWllama: async (shards: Array<{ url: string; size: number }>, options: WllamaBenchOptions) =>
    (await import('../../scripts/bench/peers-wllama-run.js')).runWllamaBench(shards, options),
  kernelBench: (options: KernelBenchOptions) => runKernelBench(options),
  /** The engine itself, for tests that script it with page.evaluate. */
  engine: () => (engine ??= createEngine()),
  describe,
  /** A non-streaming completion, or a stream collected chunk by chunk (content also lands in #out). */
  async chat(request: ChatCompletionRequest, o: { breakAfter?: number } = {}) {
    try {
      const e = (engine ??= createEngine());
      if (!request.stream) return { ok: true as const, completion: await e.chat.completions.create(request) };
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of await e.chat.completions.create(request)) {
        chunks.push(c);
        out.textContent += c.choices[0]?.delta.content ?? '';
        if (o.breakAfter !== undefined && chunks.length >= o.breakAfter) break;
      }
      return { ok: true as const, chunks, message: await e.getMessage() };
    } catch (e) {
      return { ok: false as const, error: describe(e) };
    }
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
document.title = 'ready';
