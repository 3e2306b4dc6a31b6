// `npm run bench:cpu -- --cache`: the CPU path's load of a model stored in IndexedDB, first (repack from the file,
// then the packed image is written next to it) vs second (copied from the image, no repack), in headless Chromium
// with a persistent profile (IndexedDB on disk, as for people; an incognito context keeps it in memory). The
// second load runs in a fresh page, so nothing of the first is left in its memory. Renderer RSS sampled from /proc.
import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createServer } from 'vite';
import { startRangeServer } from '../../e2e/range-server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/chromium.js';
import { launchedBrowserPid, sampleBrowserMemory, type MemoryPeaks } from './proc-memory.js';

export interface CacheBenchRow {
  readonly name: string;
  readonly threads: number;
  readonly fileMB: number;
  readonly packedMB: number;
  readonly downloadSeconds: number;
  readonly firstLoadSeconds: number;
  readonly firstState: string;
  readonly saveSeconds: number;
  readonly secondLoadSeconds: number;
  /** Prefill of a short prompt and median decode step right after each load (the first overlaps the image write). */
  readonly firstPrefillSeconds: number;
  readonly secondPrefillSeconds: number;
  readonly firstDecodeMs: number;
  readonly secondDecodeMs: number;
  readonly secondState: string;
  readonly secondRepackedTensors: number;
  readonly sameLogits: boolean;
  readonly firstPeak: MemoryPeaks;
  readonly secondPeak: MemoryPeaks;
  readonly idbUsageMB: number;
}

type LoadResult = Record<string, number | string | boolean> & { state: string; repackedTensors: number; logitsHash: number };

export async function runCacheBench(name: string, path: string, size: number, threads: number | undefined): Promise<CacheBenchRow> {
  const files = await startRangeServer();
  files.serve('/model.gguf', path);
  const vite = await createServer({ server: { port: 0, host: '127.0.0.1', hmr: false }, logLevel: 'error', clearScreen: false });
  await vite.listen();
  const appUrl = vite.resolvedUrls!.local[0].replace(/\/$/, '');
  const profile = resolve('.cache/bench-cpu-cache-profile');
  await rm(profile, { recursive: true, force: true });
  await mkdir(profile, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const browserPid = launchedBrowserPid();
    if (!browserPid) throw new Error('could not find the Chromium browser process of the benchmark profile');
    const open = async () => {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => /error|warn/i.test(m.type()) && console.error(`[page] ${m.text()}`));
      await page.goto(`${appUrl}/e2e/pages/cpu-cache.html`);
      await page.waitForFunction(() => document.title === 'ready');
      return page;
    };
    const call = <T>(page: Page, fn: string, ...args: unknown[]) =>
      page.evaluate(
        ([n, a]) => (window as unknown as { cpuCache: Record<string, (...x: unknown[]) => unknown> }).cpuCache[n as string](...(a as unknown[])),
        [fn, args] as const,
      ) as Promise<T>;
    const url = `${files.url}/model.gguf`;
    // Download into IndexedDB first (not part of either load), in its own page.
    let page = await open();
    const d0 = performance.now();
    await call(page, 'download', url, size);
    const downloadSeconds = (performance.now() - d0) / 1000;
    await page.close();

    page = await open();
    let sampler = sampleBrowserMemory(browserPid);
    const first = await call<LoadResult>(page, 'load', url, { size, threads, promptTokens: 16, decodeTokens: 8 });
    const firstPeak = sampler.stop();
    await page.close();
    page = await open();
    sampler = sampleBrowserMemory(browserPid);
    const second = await call<LoadResult>(page, 'load', url, { size, threads, promptTokens: 16, decodeTokens: 8 });
    const secondPeak = sampler.stop();
    const usage = await call<{ usage: number }>(page, 'estimate');
    await page.close();
    return {
      name,
      threads: Number(second.threads),
      fileMB: Number(first.fileBytes) / 1e6,
      packedMB: Number(first.packedBytes) / 1e6,
      downloadSeconds,
      firstLoadSeconds: Number(first.loadMs) / 1000,
      firstState: first.state,
      saveSeconds: Number(first.saveMs) / 1000,
      secondLoadSeconds: Number(second.loadMs) / 1000,
      firstPrefillSeconds: Number(first.prefillMs) / 1000,
      secondPrefillSeconds: Number(second.prefillMs) / 1000,
      firstDecodeMs: Number(first.decodeMsMedian),
      secondDecodeMs: Number(second.decodeMsMedian),
      secondState: second.state,
      secondRepackedTensors: second.repackedTensors,
      sameLogits: first.logitsHash === second.logitsHash,
      firstPeak,
      secondPeak,
      idbUsageMB: usage.usage / 1e6,
    };
  } finally {
    await context.close();
    await vite.close();
    await files.close();
    await rm(profile, { recursive: true, force: true });
  }
}

export function printCacheBench(rows: readonly CacheBenchRow[]): void {
  console.log(JSON.stringify(rows, null, 2));
  const f = (v: number, d = 1) => v.toFixed(d);
  console.log('\n| model | threads | file MB | packed MB | first load s (repack) | image write s (after) | second load s (cached) | second state | same logits | prefill 16 s first / second | decode ms/token first (during write) / second | renderer peak MB first / second | peak / file | IndexedDB MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const peak = Math.max(r.firstPeak.rendererMB, r.secondPeak.rendererMB);
    console.log(
      `| ${r.name} | ${r.threads} | ${f(r.fileMB, 0)} | ${f(r.packedMB, 0)} | ${f(r.firstLoadSeconds)} | ${f(r.saveSeconds)} | ${f(r.secondLoadSeconds)} | ${r.secondState} (${r.secondRepackedTensors} repacked) | ${r.sameLogits} | ${f(r.firstPrefillSeconds)} / ${f(r.secondPrefillSeconds)} | ${f(r.firstDecodeMs, 0)} / ${f(r.secondDecodeMs, 0)} | ${f(r.firstPeak.rendererMB, 0)} / ${f(r.secondPeak.rendererMB, 0)} | ${f(peak / r.fileMB, 2)} | ${f(r.idbUsageMB, 0)} |`,
    );
  }
}
