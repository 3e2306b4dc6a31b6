// End to end in Chromium: a page hands the engine worker a GGUF URL on a local Range server, the worker loads it
// on WebGPU and streams generated text back; a broken file ends in a clear error and the worker stays usable.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

type Page = Harness['page'];
interface LoadResult {
  ok: boolean;
  info?: { layers: number; vocabSize: number; fromCache: boolean };
  phases?: string[];
  error?: { code: string; message: string; name: string };
}
interface ChatResult {
  ok: boolean;
  completion?: { choices: { message: { content: string | null }; finish_reason: string }[]; usage: { completion_tokens: number } };
  chunks?: { choices: { delta: { content?: string }; finish_reason: string | null }[] }[];
  message?: string;
  error?: { code: string; message: string; name: string };
}

const load = (page: Page, url: string) => page.evaluate((u) => (window as never as { harness: { load(u: string): Promise<LoadResult> } }).harness.load(u), url);
const chat = (page: Page, req: object) =>
  page.evaluate((r) => (window as never as { harness: { chat(r: object): Promise<ChatResult> } }).harness.chat(r), req);
const greedy = (content: string, max_tokens: number) => ({ messages: [{ role: 'user', content }], max_tokens, temperature: 0 });
const text = (r: ChatResult) => r.completion!.choices[0].message.content;

let h: Harness;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-'));
  const good = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 5 });
  await writeGgufFile(join(dir, 'tiny.gguf'), good.spec, good.tensorData);
  await writeFile(join(dir, 'broken.gguf'), new Uint8Array([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 0xff, 0xff]));
  h = await startHarness();
  h.files.serve('/tiny.gguf', join(dir, 'tiny.gguf'));
  h.files.serve('/broken.gguf', join(dir, 'broken.gguf'));
  await h.page.waitForFunction(() => document.title === 'ready');
});
afterAll(async () => h?.close());

describe('engine worker in Chromium', () => {
  it('loads a GGUF from a URL and streams generated text', async () => {
    const loaded = await load(h.page, `${h.files.url}/tiny.gguf`);
    expect(loaded.error).toBeUndefined();
    expect(loaded.info).toMatchObject({ layers: 6, vocabSize: 640 });
    expect(loaded.phases).toContain('loading-to-gpu');
    const r = await chat(h.page, { ...greedy('Hello there', 12), stream: true });
    expect(r.error).toBeUndefined();
    const deltas = r.chunks!.map((c) => c.choices[0]?.delta.content ?? '');
    expect(r.chunks!.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(r.message);
    expect(['stop', 'length']).toContain(r.chunks!.at(-1)!.choices[0].finish_reason);
    expect(await h.page.textContent('#out')).toContain(r.message);
  });

  it('reports a broken file as a clear error, and the worker still works afterwards', async () => {
    const bad = await load(h.page, `${h.files.url}/broken.gguf`);
    expect(bad.ok).toBe(false);
    expect(bad.error!.name).toBe('EngineError');
    expect(bad.error!.code).toBe('BAD_MODEL_FILE');
    expect(bad.error!.message).toMatch(/truncated|corrupt/i);
    const missing = await load(h.page, `${h.files.url}/nope.gguf`);
    expect(missing.error!.code).toBe('NETWORK');
    expect(missing.error!.message).toMatch(/404/);
    const again = await load(h.page, `${h.files.url}/tiny.gguf`);
    expect(again.ok).toBe(true);
    const r = await chat(h.page, greedy('The model', 4));
    expect(r.ok).toBe(true);
  });

  it('loads a cached model from IndexedDB with no network at all, and generates the same text', async () => {
    const first = await chat(h.page, greedy('quick brown fox', 6));
    const requestsBefore = h.files.log.length;
    for (let i = 0; i < 50; i++) h.files.injectFault({ kind: 'missing' }); // the server "vanishes"
    const cached = await load(h.page, `${h.files.url}/tiny.gguf`);
    expect(cached.error).toBeUndefined();
    expect(cached.info!.fromCache).toBe(true);
    const again = await chat(h.page, greedy('quick brown fox', 6));
    expect(text(again)).toBe(text(first));
    expect(h.files.log.slice(requestsBefore).filter((r) => r.status === 200 || r.status === 206)).toEqual([]);
    h.files.clearFaults();
  });

  it('loads a local .gguf File through the same cache and generates the same tokens', async () => {
    const viaUrl = await chat(h.page, greedy('quick brown fox', 6));
    const loaded = await h.page.evaluate(
      (u) => (window as never as { harness: { loadFile(u: string, n: string): Promise<LoadResult> } }).harness.loadFile(u, 'tiny-local.gguf'),
      `${h.files.url}/tiny.gguf`,
    );
    expect(loaded.error).toBeUndefined();
    expect(loaded.info!.layers).toBe(6);
    const viaFile = await chat(h.page, greedy('quick brown fox', 6));
    expect(text(viaFile)).toBe(text(viaUrl));
  });
});
