// The chat-path benchmark, run inside the page: decode tokens/s of the bare generator loop (what the old
// generate() ran per token: forward + GPU sampler + a 4-byte read, no worker) next to the streaming
// chat.completions path through the worker (tokenizer stream, output parser, chunks over comlink), same fixture,
// same page, rounds interleaved.
import { createEngine } from '../../src/api/client.js';
import type { ChatCompletionChunk } from '../../src/api/openai.js';
import { readGgufHeader } from '../../src/gguf/reader.js';
import { createGpuContext } from '../../src/gpu/context.js';
import { GemmaModel } from '../../src/model/gemma-model.js';
import { GpuTokenGenerator, type SamplingParams } from '../../src/model/generator.js';
import { openHttpSource } from '../../src/storage/http-source.js';

export interface ChatBenchOptions {
  readonly decodeTokens: number;
  readonly rounds: number;
  readonly contextLength: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Stop ids biased away in both paths, so that random weights decode the full count with the same GPU work.
const NO_STOP = { 1: -100, 50: -100, 106: -100 };
const greedy: SamplingParams = { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, presencePenalty: 0, frequencyPenalty: 0, logitBias: NO_STOP, seed: 0 };

export async function runChatBench(url: string, o: ChatBenchOptions) {
  const ctx = await createGpuContext();
  const source = await openHttpSource(url);
  const header = await readGgufHeader(source);
  const gen = new GpuTokenGenerator(ctx, await GemmaModel.load(ctx, source, header, { contextLength: o.contextLength }));
  const engine = createEngine();
  await engine.load(url, { cache: false, contextLength: o.contextLength });
  const prompt = [2, 105, 500, 501, 17, 494, 510, 600, 3, 88, 106, 107, 105, 520];
  const direct: number[] = [];
  const streamed: number[] = [];
  const workerReported: number[] = [];
  try {
    for (let round = 0; round < o.rounds; round++) {
      gen.reset();
      let t = (await gen.prefill(prompt, { sampling: greedy, step: 0 }))!.token;
      const t0 = performance.now();
      for (let i = 1; i <= o.decodeTokens; i++) t = (await gen.next(t, { sampling: greedy, step: i })).token;
      direct.push(o.decodeTokens / ((performance.now() - t0) / 1000));

      await engine.resetChat();
      const times: number[] = [];
      let usage: ChatCompletionChunk['usage'];
      const stream = await engine.chat.completions.create({
        messages: [{ role: 'user', content: 'The quick brown fox' }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: o.decodeTokens + 1,
        temperature: 0,
        logit_bias: NO_STOP,
      });
      for await (const c of stream) {
        if (c.choices[0]?.delta.content !== undefined) times.push(performance.now());
        if (c.usage) usage = c.usage;
      }
      // First chunk = the prefill's token; the rest are decode steps (a token completing no character adds none).
      streamed.push((usage!.completion_tokens - 1) / ((times.at(-1)! - times[0]) / 1000));
      workerReported.push(usage!.extra.decode_tokens_per_s);
    }
    return {
      adapter: ctx.adapterInfo,
      decodeTokens: o.decodeTokens,
      rounds: o.rounds,
      directLoopTokensPerSecond: median(direct),
      streamingPageTokensPerSecond: median(streamed),
      streamingWorkerTokensPerSecond: median(workerReported),
      all: { direct, streamed, workerReported },
    };
  } finally {
    gen.destroy();
    engine.terminate();
    ctx.destroy();
  }
}
