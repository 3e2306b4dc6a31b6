// The storage module inside a dedicated worker (where the engine runs it): download with progress crossing the
// worker boundary several times a second (phase, bytes, rate, ETA), then a cached load with the network off.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GgmlType } from '../src/gguf/types.js';
import { SHAPES, generateFixture, uniformMix } from '../scripts/fixtures/gemma-fixture.js';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeGgufFile } from '../scripts/gguf-file-writer.js';

interface Progress { phase: string; bytesDone: number; bytesTotal: number; rate?: number; etaSeconds?: number; t: number }
interface WorkerResult {
  ok: boolean;
  modelId: string;
  fromCache: boolean;
  verified: boolean;
  persisted?: boolean;
  tensors: number;
  progress: Progress[];
  error?: { code: string; message: string };
}

let h: Harness;
let SHA: string;
let SIZE: number;

function call<T>(name: string, ...args: unknown[]): Promise<T> {
  return h.page.evaluate(
    ([n, a]) => (window as unknown as { storageHarness: Record<string, (...x: unknown[]) => unknown> }).storageHarness[n as string](...(a as unknown[])),
    [name, args] as const,
  ) as Promise<T>;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-storage-worker-'));
  const path = join(dir, 'tiny.gguf');
  const f = generateFixture({ shape: SHAPES.tiny, mix: uniformMix(GgmlType.Q8_0), seed: 12 });
  await writeGgufFile(path, f.spec, f.tensorData);
  const bytes = await readFile(path);
  SHA = createHash('sha256').update(bytes).digest('hex');
  SIZE = bytes.byteLength;
  h = await startHarness({ page: 'e2e/pages/storage.html' });
  h.files.serve('/w.gguf', path);
  await h.page.waitForFunction(() => document.title === 'ready');
});
afterAll(async () => h?.close());

describe('storage in a dedicated worker', () => {
  it('downloads with progress across the boundary several times a second, then loads offline from IndexedDB', async () => {
    const spec = { url: `${h.files.url}/w.gguf`, sha256: SHA, size: SIZE };
    h.files.setLatency(120, '/w.gguf'); // a slow server, so the download lasts a couple of seconds
    let r: WorkerResult;
    try {
      r = await call<WorkerResult>('workerEnsure', spec, { chunkBytes: 64 * 1024, concurrency: 2 });
    } finally {
      h.files.setLatency(0, '/w.gguf');
    }
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, verified: true, fromCache: false });
    expect(r.tensors).toBeGreaterThan(50);
    const phases = [...new Set(r.progress.map((p) => p.phase))];
    expect(phases).toEqual(['checking', 'downloading', 'verifying', 'ready']);
    const dl = r.progress.filter((p) => p.phase === 'downloading');
    const seconds = (dl.at(-1)!.t - dl[0].t) / 1000;
    expect(seconds).toBeGreaterThan(1);
    expect(dl.length / seconds).toBeGreaterThanOrEqual(3); // several updates a second
    expect(dl.length / seconds).toBeLessThanOrEqual(12); // ...but throttled (default 200 ms)
    const withRate = dl.filter((p) => p.rate !== undefined);
    expect(withRate.length).toBeGreaterThan(dl.length / 2);
    expect(withRate.every((p) => p.rate! > 0 && p.etaSeconds! >= 0)).toBe(true);
    for (let i = 1; i < dl.length; i++) expect(dl[i].bytesDone).toBeGreaterThanOrEqual(dl[i - 1].bytesDone);
    expect(r.progress.at(-1)).toMatchObject({ phase: 'ready', bytesDone: SIZE, bytesTotal: SIZE });

    await h.context.setOffline(true);
    try {
      const n = h.files.log.length;
      const again = await call<WorkerResult>('workerEnsure', spec, {});
      expect(again).toMatchObject({ ok: true, fromCache: true, verified: true });
      const d = await call<{ sha256: string; inWorker: boolean }>('workerDigest', again.modelId);
      expect(d).toMatchObject({ sha256: SHA, inWorker: true });
      expect(h.files.log.length).toBe(n);
    } finally {
      await h.context.setOffline(false);
    }
  });
});
