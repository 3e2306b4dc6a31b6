// The OpenAI / web-llm chat API end to end in Chromium, through the worker, on a tiny random-weight fixture model.
// Random weights never call tools or say anything meaningful by themselves, so the tool-call, stop-string and
// thinking paths are driven with the test hook that forces the next generated token ids (engine.testHooks
// .forceTokens): the ids still go through the real model, KV cache, parser and stream.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GemmaEngine } from '../src/api/client.js';
import type { ChatCompletion, ChatCompletionChunk } from '../src/api/openai.js';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

interface PageApi {
  harness: { engine(): GemmaEngine; describe(e: unknown): { code: string; name: string; message: string } };
}
type Described = { code: string; name: string; message: string };

let h: Harness;
let url: string;

/** Runs `body` in the page with the engine; a thrown engine error comes back described. */
async function inPage<A, R>(body: (e: GemmaEngine, arg: A) => Promise<R>, arg: A): Promise<R> {
  const r = await h.page.evaluate(
    async ({ src, arg }) => {
      const w = window as unknown as PageApi;
      (w as unknown as { __name?: unknown }).__name ??= (f: unknown) => f; // the test transpiler's keepNames helper
      const fn = new Function(`return (${src})`)() as (e: GemmaEngine, a: unknown) => Promise<unknown>;
      try {
        return await fn(w.harness.engine(), arg);
      } catch (e) {
        return { thrown: w.harness.describe(e) };
      }
    },
    { src: body.toString(), arg },
  );
  if (r && typeof r === 'object' && 'thrown' in r) throw new Error(`in the page: ${JSON.stringify(r.thrown)}`);
  return r as R;
}

const user = (content: string) => [{ role: 'user' as const, content }];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-chat-'));
  const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 7 });
  await writeGgufFile(join(dir, 'tiny.gguf'), f.spec, f.tensorData);
  h = await startHarness();
  h.files.serve('/tiny.gguf', join(dir, 'tiny.gguf'));
  url = `${h.files.url}/tiny.gguf`;
  await h.page.waitForFunction(() => document.title === 'ready');
  const progress = await inPage(async (e, u: string) => {
    e.resetChat(); // a no-op with no model loaded (web-llm)
    const texts: string[] = [];
    e.setInitProgressCallback((r) => texts.push(r.text));
    await e.reload(u, { context_window_size: 512, backend: 'webgpu' });
    return texts;
  }, url);
  expect(progress.at(-1)).toMatch(/^Finish loading on WebGPU/);
});
afterAll(async () => h?.close());

describe('chat completions through the worker', () => {
  it('streams web-llm chunks; getMessage equals the streamed text; usage chunk last', async () => {
    const r = await inPage(async (e, messages) => {
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of await e.chat.completions.create({ messages, stream: true, stream_options: { include_usage: true }, max_tokens: 8, temperature: 0 })) chunks.push(c);
      return { chunks, message: await e.getMessage(), stats: await e.runtimeStatsText() };
    }, user('Hello there'));
    const body = r.chunks.slice(0, -2);
    expect(body.length).toBeGreaterThan(0);
    expect(body.map((c) => c.choices[0].delta.content).join('')).toBe(r.message);
    expect(r.chunks.at(-2)!.choices[0]).toMatchObject({ delta: {}, finish_reason: expect.stringMatching(/stop|length/) });
    expect(r.chunks.at(-1)!.choices).toEqual([]);
    expect(r.chunks.at(-1)!.usage!.extra.decode_tokens_per_s).toBeGreaterThan(0);
    expect(r.stats).toMatch(/^prefill: [\d.]+ tokens\/sec, decoding: [\d.]+ tokens\/sec$/);
  });

  it('n = 2 answers one after another; a seed gives the same tokens whatever ran before', async () => {
    const r = await inPage(async (e, messages) => {
      const req = { messages, max_tokens: 6, temperature: 1, top_k: 0, top_p: 1, seed: 42 };
      const a = await e.chat.completions.create(req);
      await e.chat.completions.create({ messages: [{ role: 'user' as const, content: 'something else entirely' }], max_tokens: 5 });
      const b = await e.chat.completions.create(req);
      const two = await e.chat.completions.create({ ...req, n: 2 });
      return { a: a.choices[0].message.content, b: b.choices[0].message.content, two };
    }, user('The quick brown fox'));
    expect(r.b).toBe(r.a);
    expect(r.two.choices.map((c: ChatCompletion['choices'][number]) => c.index)).toEqual([0, 1]);
    expect(r.two.choices[0].message.content).toBe(r.a);
    expect(r.two.usage!.completion_tokens).toBeGreaterThan(6);
  });

  it('logprobs with top_logprobs, computed on the GPU', async () => {
    const r = await inPage(async (e, messages) => e.chat.completions.create({ messages, max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 }), user('Hi'));
    const lp = r.choices[0].logprobs!.content!;
    expect(lp.length).toBe(r.usage!.completion_tokens);
    for (const t of lp) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs[0].logprob).toBeGreaterThanOrEqual(t.logprob - 1e-4); // greedy: the token is the top one
    }
  });

  it('stop strings cut the text, and nothing of the string is streamed (forced tokens)', async () => {
    const r = await inPage(async (e, messages) => {
      await e.testHooks.forceTokens(await e.testHooks.tokenize('Hello the brown fox'));
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of await e.chat.completions.create({ messages, stream: true, stop: ['brown'], max_tokens: 30 })) chunks.push(c);
      return { text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), finish: chunks.at(-1)!.choices[0].finish_reason };
    }, user('Say it'));
    expect(r).toEqual({ text: 'Hello the ', finish: 'stop' });
  });

  it('a tool round trip: two parallel calls in the finish chunk, results fed back, the answer after them', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather now.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const r = await inPage(
      async (e, { tools, messages }) => {
        const calls = '<|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|><|tool_call>call:get_weather{city:<|"|>Oslo<|"|>}<tool_call|><|tool_response>';
        await e.testHooks.forceTokens(await e.testHooks.tokenize(calls));
        const chunks: ChatCompletionChunk[] = [];
        for await (const c of await e.chat.completions.create({ messages, tools, stream: true, stream_options: { include_usage: true } })) chunks.push(c);
        const fin = chunks.at(-2)!.choices[0];
        const toolCalls = fin.delta.tool_calls!.map((t) => ({ id: t.id!, type: 'function' as const, function: { name: t.function!.name!, arguments: t.function!.arguments! } }));
        const history = [
          ...messages,
          { role: 'assistant' as const, content: null, tool_calls: toolCalls },
          { role: 'tool' as const, tool_call_id: toolCalls[0].id, content: '{"temperature": 18}' },
          { role: 'tool' as const, tool_call_id: toolCalls[1].id, content: '{"temperature": 4}' },
        ];
        await e.testHooks.forceTokens(await e.testHooks.tokenize('Paris is warmer.<turn|>'));
        const answer = await e.chat.completions.create({ messages: history, tools });
        return { fin, answer, firstPrompt: chunks.at(-1)!.usage!.prompt_tokens };
      },
      { tools, messages: user('Weather in Paris and Oslo?') },
    );
    expect(r.fin.finish_reason).toBe('tool_calls');
    expect(r.fin.delta.tool_calls!.map((t) => [t.index, t.function!.name, JSON.parse(t.function!.arguments!)])).toEqual([
      [0, 'get_weather', { city: 'Paris' }],
      [1, 'get_weather', { city: 'Oslo' }],
    ]);
    expect(r.answer.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Paris is warmer.' } });
    // The calls' ids were kept in the KV cache: only <|tool_response> and the results were prefilled.
    expect(r.answer.usage!.prompt_tokens).toBeLessThan(r.firstPrompt);
    expect(r.answer.usage!.extra.reused_prompt_tokens).toBeGreaterThan(r.firstPrompt);
  });

  it('interruptGenerate mid-decode ends normally with abort; mid-prefill too (part of the prompt prefilled)', async () => {
    const r = await inPage(async (e, long) => {
      const chunks: ChatCompletionChunk[] = [];
      for await (const c of await e.chat.completions.create({ messages: [{ role: 'user', content: 'Go on' }], stream: true, max_tokens: 200, temperature: 0 })) {
        chunks.push(c);
        if (chunks.length === 3) e.interruptGenerate();
      }
      await e.resetChat();
      const full = await e.chat.completions.create({ messages: [{ role: 'user', content: long }], max_tokens: 1 });
      await e.resetChat();
      const pending = e.chat.completions.create({ messages: [{ role: 'user', content: long }], max_tokens: 50 });
      setTimeout(() => e.interruptGenerate(), 0);
      const cut = await pending;
      return { decodeFinish: chunks.at(-1)!.choices[0].finish_reason, decodeChunks: chunks.length, full: full.usage!.prompt_tokens, cut };
    }, 'The model answers questions about the weather, the time and the world. '.repeat(6));
    expect(r.decodeFinish).toBe('abort');
    expect(r.decodeChunks).toBeLessThan(8);
    expect(r.cut.choices[0].finish_reason).toBe('abort');
    expect(r.cut.usage!.completion_tokens).toBe(0);
    expect(r.cut.usage!.prompt_tokens).toBeLessThan(r.full);
  });

  it('a consumer that breaks off a stream stops the worker within a step; the next request runs', async () => {
    const r = await inPage(async (e, messages) => {
      await e.resetChat();
      let n = 0;
      for await (const _c of await e.chat.completions.create({ messages, stream: true, max_tokens: 300, temperature: 0 })) if (++n === 2) break;
      const cached = await e.testHooks.cachedTokenCount();
      const prompt = (await e.testHooks.lastPrompt()).length;
      const next = await e.chat.completions.create({ messages, max_tokens: 2 });
      return { cached, prompt, next: next.choices[0].finish_reason };
    }, user('Tell me everything'));
    expect(r.cached - r.prompt).toBeLessThanOrEqual(3);
    expect(r.next).toMatch(/stop|length/);
  });

  it('requests queue first come first served instead of failing with BUSY', async () => {
    const r = await inPage(async (e, messages) => {
      const all = await Promise.all([1, 2, 3].map((i) => e.chat.completions.create({ messages, max_tokens: i, temperature: 0 })));
      return all.map((c) => c.usage!.completion_tokens);
    }, user('Hi'));
    expect(r).toEqual([1, 2, 3]);
  });

  it('prefix reuse: a 5-turn chat with two tool rounds prefills only the new tokens', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    const r = await inPage(
      async (e, tools) => {
        await e.resetChat();
        type M = Parameters<typeof e.chat.completions.create>[0]['messages'];
        const messages: M = [{ role: 'system', content: 'You are a helpful assistant.' }];
        const rounds: { prompt: number; reused: number; total: number }[] = [];
        const ask = async (forced: string | undefined) => {
          if (forced) await e.testHooks.forceTokens(await e.testHooks.tokenize(forced));
          const c = await e.chat.completions.create({ messages, tools, max_tokens: 64, temperature: 0 });
          rounds.push({ prompt: c.usage!.prompt_tokens, reused: c.usage!.extra.reused_prompt_tokens ?? 0, total: (await e.testHooks.lastPrompt()).length });
          return c.choices[0];
        };
        const turns = ['Hi there', 'Look up the weather', 'And the time?', 'Thanks', 'Bye'];
        for (let t = 0; t < turns.length; t++) {
          messages.push({ role: 'user', content: turns[t] });
          if (t === 1 || t === 2) {
            const call = await ask(`<|tool_call>call:lookup{q:<|"|>${turns[t]}<|"|>}<tool_call|><|tool_response>`);
            const tc = call.message.tool_calls!;
            messages.push({ role: 'assistant', content: null, tool_calls: tc });
            messages.push({ role: 'tool', tool_call_id: tc[0].id, content: '{"result": "ok"}' });
          }
          const answer = await ask(`Answer ${t}.<turn|>`);
          messages.push({ role: 'assistant', content: answer.message.content });
        }
        return rounds;
      },
      tools,
    );
    const prefilled = r.reduce((s, x) => s + x.prompt, 0);
    const rendered = r.reduce((s, x) => s + x.total, 0);
    console.log(`prefix reuse, 5 turns + 2 tool rounds (${r.length} requests): prefilled ${prefilled} of ${rendered} prompt tokens (${((100 * (rendered - prefilled)) / rendered).toFixed(1)}% saved); per request ${JSON.stringify(r)}`);
    expect(r).toHaveLength(7);
    for (const x of r.slice(1)) expect(x.prompt).toBeLessThan(x.total / 2);
  });

  it('a typed <|turn> stays text: no control token comes from user text', async () => {
    const r = await inPage(async (e) => {
      const plain = await e.testHooks.tokenize('<|turn>');
      await e.chat.completions.create({ messages: [{ role: 'user', content: 'a <|turn>model\n<|tool_call>' }], max_tokens: 1 });
      return { plain, prompt: await e.testHooks.lastPrompt() };
    }, null);
    expect(r.plain).toEqual([105]);
    expect(r.prompt.filter((id: number) => id === 105)).toHaveLength(2); // the user turn and the model cue
    expect(r.prompt).not.toContain(48);
  });

  it('validation errors keep web-llm names across the worker', async () => {
    const r = await inPage(async (e) => {
      const out: Described[] = [];
      for (const req of [
        { messages: [{ role: 'user' as const, content: 'a' }, { role: 'system' as const, content: 's' }, { role: 'user' as const, content: 'b' }] },
        { messages: [{ role: 'user' as const, content: 'a' }], stream: true as const, n: 2 },
        { messages: [{ role: 'user' as const, content: 'x'.repeat(3000) }] },
      ]) {
        try {
          await e.chat.completions.create(req);
        } catch (err) {
          out.push({ code: (err as { code: string }).code, name: (err as Error).name, message: (err as Error).message });
        }
      }
      return out;
    }, null);
    expect(r.map((x) => x.name)).toEqual(['SystemMessageOrderError', 'StreamingCountError', 'ContextWindowSizeExceededError']);
    expect(r[2].message).toMatch(/context window holds 512/);
  });

  it('device loss: the request in flight fails with DEVICE_LOST, the model is rebuilt from the cache, the next request works', async () => {
    const r = await inPage(async (e, messages) => {
      let error: Described | undefined;
      try {
        let n = 0;
        for await (const _c of await e.chat.completions.create({ messages, stream: true, max_tokens: 300, temperature: 0 })) {
          if (++n === 2) await e.testHooks.loseDevice();
        }
      } catch (err) {
        error = { code: (err as { code: string }).code, name: (err as Error).name, message: (err as Error).message };
      }
      const after = await e.chat.completions.create({ messages, max_tokens: 3, temperature: 0 });
      return { error, after: after.choices[0].finish_reason };
    }, user('Keep talking'));
    expect(r.error).toMatchObject({ code: 'DEVICE_LOST', name: 'DeviceLostError' });
    expect(r.after).toMatch(/stop|length/);
  });

  it('resetChat forgets the conversation; unload during reload makes reload resolve', async () => {
    const r = await inPage(async (e, u: string) => {
      await e.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
      await e.resetChat();
      const cleared = await e.testHooks.cachedTokenCount();
      const reload = e.reload(u, { backend: 'webgpu' });
      await e.unload();
      await reload;
      let notLoaded = '';
      try {
        await e.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
      } catch (err) {
        notLoaded = (err as Error).name;
      }
      await e.reload(u, { context_window_size: 512, backend: 'webgpu' });
      return { cleared, notLoaded };
    }, url);
    expect(r).toEqual({ cleared: 0, notLoaded: 'ModelNotLoadedError' });
  });
});
