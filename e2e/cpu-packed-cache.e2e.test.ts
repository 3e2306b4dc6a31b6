// The CPU path's packed-weight cache in real Chromium over the real IndexedDB: a model stored by ensureModel loads
// once (repack, then the image is written next to it), loads again without repacking with identical logits, falls
// back to repacking when a part is truncated or damaged (and rewrites the image), and loses its image with it
// when the model is deleted (storage figures included).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_MIXES, SHAPES, generateFixture } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

interface LoadResult {
  modelId: string;
  state: 'hit' | 'miss' | 'fallback';
  reason?: string;
  saved: boolean;
  repackedTensors: number;
  tensorsFromCache: number;
  packedBytes: number;
  logitsHash: number;
  warnings: string[];
}
interface Info { listed: boolean; packedBytes: number; manifest: boolean; parts: number }

let h: Harness;
let url: string;

function call<T>(name: string, ...args: unknown[]): Promise<T> {
  return h.page.evaluate(
    ([n, a]) => (window as unknown as { cpuCache: Record<string, (...x: unknown[]) => unknown> }).cpuCache[n as string](...(a as unknown[])),
    [name, args] as const,
  ) as Promise<T>;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-cpu-cache-'));
  const path = join(dir, 'tiny.gguf');
  const f = generateFixture({ shape: SHAPES.kquant, mix: REAL_MIXES['google-qat-q4_0'], seed: 83 });
  await writeGgufFile(path, f.spec, f.tensorData);
  h = await startHarness({ page: 'e2e/pages/cpu-cache.html', onConsole: (t) => /error/i.test(t) && console.error(`[page] ${t}`) });
  h.files.serve('/m.gguf', path);
  url = `${h.files.url}/m.gguf`;
  await h.page.waitForFunction(() => document.title === 'ready');
}, 60_000);
afterAll(async () => h?.close());

describe('packed-weight cache in IndexedDB (Chromium)', () => {
  let first: LoadResult;
  it('a version-1 database (models and chunks only) is upgraded in place: its models stay, the packed stores appear', async () => {
    await h.page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('gemma4-webgpu-models', 1);
          open.onupgradeneeded = () => {
            open.result.createObjectStore('models');
            open.result.createObjectStore('chunks');
          };
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction(['models', 'chunks'], 'readwrite');
            const now = Date.now();
            tx.objectStore('models').put(
              { schema: 1, id: 'old', name: 'old', origin: 'file', fileName: 'old.gguf', size: 4, chunkBytes: 4, status: 'complete', verified: false, createdAt: now, updatedAt: now, lastUsed: now },
              'old',
            );
            tx.objectStore('chunks').put(new Uint8Array(4), ['old', 0]);
            tx.oncomplete = () => (db.close(), resolve());
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    expect(await call<Info>('info', 'old')).toEqual({ listed: true, packedBytes: 0, manifest: false, parts: 0 });
    expect(await call<boolean>('remove', 'old')).toBe(true);
  }, 30_000);

  it('the first load repacks and writes the image; the second copies it, with identical logits', async () => {
    first = await call<LoadResult>('load', url, { threads: 1 });
    expect(first.state).toBe('miss');
    expect(first.repackedTensors).toBeGreaterThan(10);
    expect(first.saved).toBe(true);
    const stored = await call<Info>('info', first.modelId);
    expect(stored).toMatchObject({ listed: true, manifest: true, packedBytes: first.packedBytes });
    expect(stored.parts).toBeGreaterThan(0);

    const second = await call<LoadResult>('load', url, { threads: 1 });
    expect(second.state).toBe('hit');
    expect(second.repackedTensors).toBe(0);
    expect(second.tensorsFromCache).toBe(first.repackedTensors);
    expect(second.logitsHash).toBe(first.logitsHash);
  }, 60_000);

  it.each(['truncate', 'flip'] as const)('a %s-damaged part falls back to repacking (same logits), then the image is rewritten', async (how) => {
    await call('damage', first.modelId, 0, how);
    const broken = await call<LoadResult>('load', url, { threads: 1 });
    expect(broken.state).toBe('fallback');
    expect(broken.reason).toMatch(how === 'truncate' ? /part 0 holds/ : /part 0 is damaged/);
    expect(broken.warnings.join('\n')).toMatch(/repacking from the model file/);
    expect(broken.logitsHash).toBe(first.logitsHash);
    expect(broken.saved).toBe(true);
    const again = await call<LoadResult>('load', url, { threads: 1 });
    expect(again.state).toBe('hit');
    expect(again.logitsHash).toBe(first.logitsHash);
  }, 60_000);

  it('deleting the model deletes its image', async () => {
    expect(await call<boolean>('remove', first.modelId)).toBe(true);
    expect(await call<Info>('info', first.modelId)).toEqual({ listed: false, packedBytes: 0, manifest: false, parts: 0 });
  }, 30_000);
});
