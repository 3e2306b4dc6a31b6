// The CPU path end to end in Chromium: with WebGPU disabled, load() with the default backend 'auto' picks the
// WebAssembly path (ModelInfo says so and why) and the chat streams text; cross-origin isolated pages get helper
// threads over one shared memory and generate the same greedy text as one thread.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

interface LoadResult {
  ok: boolean;
  info?: { backend: string; backendReason: string; cpu?: { threads: number; threadsReason: string; simd: string; packedCache: string }; vocabSize: number };
  error?: { code: string; message: string };
}
interface ChatResult {
  ok: boolean;
  message?: string;
  chunks?: { choices: { delta: { content?: string }; finish_reason: string | null }[] }[];
  error?: { code: string; message: string };
}
type H = { harness: { load(u: string, c?: number, b?: string): Promise<LoadResult>; chat(r: object): Promise<ChatResult> } };

const NO_WEBGPU = ['--no-sandbox', '--disable-features=WebGPU', '--disable-dev-shm-usage', '--no-first-run'];
let dir: string;
const request = { messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 10, temperature: 0, stream: true };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-cpu-'));
  const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q4_0), seed: 9 });
  await writeGgufFile(join(dir, 'tiny.gguf'), f.spec, f.tensorData);
});

async function run(isolated: boolean): Promise<{
  load: LoadResult;
  chat: ChatResult;
  hasGpu: boolean;
  isolated: boolean;
  interrupted: { chunks: number; finish: string | null };
  reload: LoadResult;
  rechat: ChatResult;
}> {
  const h: Harness = await startHarness({ args: NO_WEBGPU, crossOriginIsolated: isolated });
  try {
    h.files.serve('/tiny.gguf', join(dir, 'tiny.gguf'));
    await h.page.waitForFunction(() => document.title === 'ready');
    // WebGPU disabled: either no navigator.gpu or no adapter from it.
    const hasGpu = await h.page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu ? (await gpu.requestAdapter()) !== null : false;
    });
    const pageIsolated = await h.page.evaluate(() => crossOriginIsolated);
    const load = await h.page.evaluate((u) => (window as never as H).harness.load(u, 128, 'auto'), `${h.files.url}/tiny.gguf`);
    const chat = await h.page.evaluate((r) => (window as never as H).harness.chat(r), request);
    // interruptGenerate mid-decode: the CPU forward computes synchronously, so the worker must still read the
    // message between tokens (cpu/yield-to-events.ts). A long answer (a context's worth) stops within a few tokens.
    const interrupted = await h.page.evaluate(async () => {
      const e = (window as never as { harness: { engine(): { chat: { completions: { create(r: object): Promise<AsyncIterable<{ choices: { finish_reason: string | null }[] }>> } }; interruptGenerate(): void } } }).harness.engine();
      const stream = await e.chat.completions.create({ messages: [{ role: 'user', content: 'Tell me a long story' }], max_tokens: 100, temperature: 1, seed: 3, ignore_eos: true, stream: true });
      let chunks = 0;
      let finish: string | null = null;
      for await (const c of stream) {
        if (++chunks === 3) e.interruptGenerate();
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      return { chunks, finish };
    });
    // The repacked weights were cached next to the stored model after the first load (in the background): once
    // listModels counts them, a second load copies them instead of repacking and answers the same.
    await h.page.waitForFunction(async () => {
      const e = (window as never as { harness: { engine(): { listModels(): Promise<{ packedBytes?: number }[]> } } }).harness.engine();
      return (await e.listModels()).some((m) => (m.packedBytes ?? 0) > 0);
    }, undefined, { timeout: 20_000, polling: 200 });
    const reload = await h.page.evaluate((u) => (window as never as H).harness.load(u, 128, 'auto'), `${h.files.url}/tiny.gguf`);
    const rechat = await h.page.evaluate((r) => (window as never as H).harness.chat(r), request);
    return { load, chat, hasGpu, isolated: pageIsolated, interrupted, reload, rechat };
  } finally {
    await h.close();
  }
}

describe('CPU backend in Chromium without WebGPU', () => {
  let single: Awaited<ReturnType<typeof run>>;
  it('auto picks the CPU path and the chat streams text (not isolated: one thread)', async () => {
    single = await run(false);
    expect(single.hasGpu).toBe(false);
    expect(single.isolated).toBe(false);
    expect(single.load.error).toBeUndefined();
    expect(single.load.info).toMatchObject({ backend: 'cpu', vocabSize: 640, cpu: { threads: 1 } });
    console.log(`CPU backend: ${single.load.info!.backendReason}; ${single.load.info!.cpu!.threadsReason}; ${single.load.info!.cpu!.simd} SIMD`);
    expect(single.load.info!.backendReason).toMatch(/WebGPU is missing|no adapter/);
    expect(single.load.info!.cpu!.threadsReason).toMatch(/not cross-origin isolated/);
    expect(single.chat.error).toBeUndefined();
    const deltas = single.chat.chunks!.map((c) => c.choices[0]?.delta.content ?? '');
    expect(deltas.join('')).toBe(single.chat.message);
    expect(single.chat.message!.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(single.chat.chunks!.at(-1)!.choices[0].finish_reason);
    expect(single.interrupted.finish).toBe('abort');
    expect(single.interrupted.chunks).toBeLessThan(20);
    expect(single.load.info!.cpu!.packedCache).toBe('miss');
    expect(single.reload.info!.cpu!.packedCache).toBe('hit');
    expect(single.rechat.message).toBe(single.chat.message);
  });

  it('a cross-origin isolated page runs helper threads and generates the same greedy text', async () => {
    const many = await run(true);
    expect(many.isolated).toBe(true);
    expect(many.load.error).toBeUndefined();
    expect(many.load.info!.cpu!.threads).toBeGreaterThan(1);
    console.log(`isolated: ${many.load.info!.cpu!.threadsReason}`);
    expect(many.chat.error).toBeUndefined();
    expect(many.chat.message).toBe(single.chat.message);
    expect(many.interrupted.finish).toBe('abort');
  });
});
