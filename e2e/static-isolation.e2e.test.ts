// The built app on a static host that sends no COOP/COEP (what GitHub Pages and most static hosts do): its service
// worker re-issues what it serves with the isolation headers, and the first visit reloads once, so the page becomes
// cross-origin isolated and the CPU path runs on several threads. No reload loop; a second visit is isolated from
// its first document on. The model comes from another origin (CORS), which COEP lets through.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';
import { writeTinyModel } from './app-fixtures.js';
import { startRangeServer, type RangeServer } from './range-server.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const run = promisify(execFile);
let out: string;
let files: RangeServer;
let app: StaticServer;
let browser: Browser;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'app-static-'));
  await run('npx', ['vite', 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'error'], { env: { ...process.env, NODE_ENV: 'production' } });
  const { file } = await writeTinyModel();
  files = await startRangeServer();
  files.serve('/tiny.gguf', file);
  app = await startStaticServer(out); // no headers at all
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await files?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

/** Counts the documents the tab loads (the first navigation, then every reload). */
function countDocuments(page: Page): { readonly n: number } {
  const c = { n: 0 };
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) c.n++;
  });
  return c;
}

/** Polls the page across its own reloads until `fn` is true. */
async function until(page: Page, fn: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await page.evaluate(fn)) return;
    } catch {
      /* the page is between documents */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn.toString()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function pageState(page: Page) {
  return page.evaluate(async () => {
    const own = await fetch('./index.html'); // through the service worker, as the navigation was
    return {
      isolated: crossOriginIsolated,
      controlled: !!navigator.serviceWorker.controller,
      coop: own.headers.get('cross-origin-opener-policy'),
      coep: own.headers.get('cross-origin-embedder-policy'),
    };
  });
}

/** Adds a user-defined tool in the app's Tools panel and runs its handler (the app's own ToolSandbox frame). */
async function runUserTool(page: Page, code: string, args: Record<string, unknown>): Promise<unknown> {
  await page.click('#tab-tools');
  await page.fill('#t-name', 'multiply');
  await page.fill('#t-desc', 'multiplies a by b');
  await page.fill('#t-code', code);
  await page.click('#tool-form button[type="submit"]');
  await page.waitForSelector('#user-tools li[data-user-tool="multiply"]');
  return page.evaluate(async (a) => {
    try {
      return await document.querySelector('gemma-chat')!.tools.find((t) => t.name === 'multiply')!.handler(a);
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  }, args);
}

/** Loads the tiny model on the CPU path through the app's Model panel; returns the CPU note's threads text. */
async function loadOnCpu(page: Page): Promise<string> {
  await page.click('#tab-model');
  await page.fill('#model-url', `${files.url}/tiny.gguf`);
  await page.click('#url-form button[type="submit"]');
  await page.waitForSelector('gemma-chat[state="ready"]', { state: 'attached', timeout: 120_000 });
  return (await page.locator('gemma-chat .banner[data-code="CPU_BACKEND"] .threads').textContent()) ?? '';
}

describe('the built app from a static host without COOP/COEP', () => {
  // The headers' server side: none. Checked once, so the isolation below can only come from the service worker.
  it('is served with no isolation headers', async () => {
    const r = await fetch(`${app.url}/`);
    expect(r.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(r.headers.get('cross-origin-embedder-policy')).toBeNull();
  });

  for (const [name, query, coep] of [
    ['credentialless (Chromium)', '', 'credentialless'],
    ['require-corp (the choice for browsers without credentialless)', '&coep=require-corp', 'require-corp'],
  ] as const) {
    it(`becomes isolated after one reload, runs the CPU path on threads, and a second visit is isolated at once: COEP ${name}`, async () => {
      const context: BrowserContext = await browser.newContext();
      try {
        const page = await context.newPage();
        const docs = countDocuments(page);
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${app.url}/?backend=cpu${query}`);
        await until(page, () => crossOriginIsolated && !!navigator.serviceWorker.controller, 60_000);
        expect(docs.n).toBe(2); // the first visit and the one reload
        await page.waitForTimeout(3_000);
        expect(docs.n).toBe(2); // ...and no more: no reload loop
        expect(await pageState(page)).toEqual({ isolated: true, controlled: true, coop: 'same-origin', coep });
        // User tools still run: their sandbox frame (opaque origin, so its load bypasses the service worker and comes
        // without COEP) is a credentialless frame, which an isolated page may embed.
        expect(await runUserTool(page, 'return args.a * args.b;', { a: 6, b: 7 })).toBe(42);

        // The model from another origin (a CORS fetch) under that COEP; the CPU path gets helper threads.
        const threads = await loadOnCpu(page);
        console.log(`static host, COEP ${coep}: ${threads}`);
        expect(Number(/runs on (\d+) threads/.exec(threads)?.[1])).toBeGreaterThan(1);

        // A second visit (a new tab): controlled and isolated from its first document, no reload.
        const second = await context.newPage();
        const docs2 = countDocuments(second);
        await second.goto(`${app.url}/?backend=cpu${query}`, { waitUntil: 'commit' });
        expect(await second.evaluate(() => ({ isolated: crossOriginIsolated, controlled: !!navigator.serviceWorker.controller }))).toEqual({ isolated: true, controlled: true });
        await second.waitForLoadState('load');
        await second.waitForTimeout(2_000);
        expect(docs2.n).toBe(1);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('without a service worker: no reload, one thread, and the CPU note says why and which headers would fix it', async () => {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    try {
      const page = await context.newPage();
      const docs = countDocuments(page);
      await page.goto(`${app.url}/?backend=cpu`);
      const note = await loadOnCpu(page);
      expect(docs.n).toBe(1);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(note).toMatch(/runs on one thread: this page is not cross-origin isolated/);
      expect(note).toMatch(/Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: credentialless/);
      // The storage panel counts the CPU path's repacked weights, written next to the model once the engine is idle.
      await page.click('#tab-storage');
      await until(page, () => {
        if (/repacked for the CPU/.test(document.getElementById('cache-list')?.textContent ?? '')) return true;
        (document.getElementById('cache-refresh') as HTMLButtonElement).click(); // read on the next poll
        return false;
      }, 30_000);
      expect(await page.locator('#cache-list li[data-cached]').first().textContent()).toMatch(/complete · \+ [\d.]+ (kB|MB) repacked for the CPU/);
    } finally {
      await context.close();
    }
  });

  it('does not reload itself in a frame (isolation would need the host page isolated too) and never touches the host', async () => {
    // The app framed by a page of another origin that is not isolated. Same site (127.0.0.1, another port), so the
    // frame may register its service worker (Playwright's defaults deny it to third-party frames).
    const host = await startStaticServer(out);
    try {
      host.page('/frame-host.html', `<!doctype html><title>host</title><iframe id="f" src="${app.url}/?backend=cpu" width="800" height="600"></iframe>`);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        let hostDocs = 0;
        let frameDocs = 0;
        page.on('framenavigated', (f) => {
          if (f === page.mainFrame()) hostDocs++;
          else frameDocs++;
        });
        await page.goto(`${host.url}/frame-host.html`);
        await page.frameLocator('#f').locator('gemma-chat').waitFor({ state: 'attached', timeout: 30_000 });
        const frame = page.frames().find((x) => x !== page.mainFrame())!;
        // The worker is active (so a top-level page would reload now), yet the frame stays on its first document.
        await frame.waitForFunction(async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated', undefined, { timeout: 60_000 });
        await page.waitForTimeout(3_000);
        expect({ hostDocs, frameDocs }).toEqual({ hostDocs: 1, frameDocs: 1 });
        expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
        expect(await frame.evaluate(() => ({ isolated: crossOriginIsolated, controlled: !!navigator.serviceWorker.controller }))).toEqual({ isolated: false, controlled: false });
      } finally {
        await context.close();
      }
    } finally {
      await host.close();
    }
  });
});
