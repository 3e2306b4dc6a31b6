// The production build in Chromium: `vite build` output served statically with a strict Content-Security-Policy.
// 1. The app works under the CSP, then offline through its real service worker (context.setOffline + reload: the
//    app shell comes from the precache, the model from IndexedDB), and a new deployment shows the update prompt.
// 2. The one-tag embed on a page of another site (host 127.0.0.1, script from localhost) under the host's own CSP:
//    the element loads a model into the host's storage and answers; host CSS does not change it, its CSS stays in.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
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

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'credentialless' };
// No 'unsafe-inline', no 'unsafe-eval': scripts, styles, workers and frames only from the app's own origin.
// 'wasm-unsafe-eval' lets WebAssembly compile (the CPU backend's kernels, XGrammar); it allows no JavaScript eval.
const strictCsp = (models: string) =>
  [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self' blob:",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-src 'self'",
    `connect-src 'self' ${models}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');

/**
 * Collects CSP violations (Chromium reports each on the console) and uncaught errors. Console, not an init script:
 * Playwright's init scripts keep a page from being controlled by its service worker.
 */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

async function sendAndWait(p: Page, text: string) {
  await p.fill('gemma-chat textarea#prompt', text);
  await p.press('gemma-chat textarea#prompt', 'Enter');
  await p.waitForSelector('gemma-chat[state="generating"]', { state: 'attached' });
  await p.waitForSelector('gemma-chat[state="ready"]', { state: 'attached', timeout: 120_000 });
  const banner = await p.evaluate(() => document.querySelector('gemma-chat')!.shadowRoot!.querySelector('.banners')!.textContent);
  expect(banner).toBe('');
  return p.locator('gemma-chat .msg.assistant').last();
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'app-build-'));
  // `npm run build` as a person runs it (a child process: the test runner's NODE_ENV=test would make a dev build).
  await run('npx', ['vite', 'build', '--outDir', join(out, 'v1'), '--emptyOutDir', '--logLevel', 'error'], {
    env: { ...process.env, NODE_ENV: 'production' },
  });
  // "The next deployment": the same files with a changed service worker (what a real rebuild changes).
  await cp(join(out, 'v1'), join(out, 'v2'), { recursive: true });
  await writeFile(join(out, 'v2', 'sw.js'), `${await readFile(join(out, 'v2', 'sw.js'), 'utf8')}\n// v2\n`);
  const { file } = await writeTinyModel();
  files = await startRangeServer();
  files.serve('/tiny.gguf', file);
  app = await startStaticServer(join(out, 'v1'));
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await files?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe('the built app', () => {
  it('emits a static dist/ with the app, the worker, the embed, the manifest, icons and a service worker without weights', async () => {
    const v1 = join(out, 'v1');
    for (const f of ['index.html', 'gemma-embed.js', 'sw.js', 'manifest.webmanifest', 'icons/icon-192.png', 'icons/icon-512.png', 'icons/maskable-512.png', 'tool-sandbox.html']) {
      expect((await stat(join(v1, f))).size, f).toBeGreaterThan(0);
    }
    const manifest = JSON.parse(await readFile(join(v1, 'manifest.webmanifest'), 'utf8'));
    expect(manifest).toMatchObject({ display: 'standalone', start_url: './', theme_color: expect.any(String) });
    expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(manifest.icons.some((i: { purpose?: string }) => i.purpose === 'maskable')).toBe(true);
    const sw = await readFile(join(v1, 'sw.js'), 'utf8');
    expect(sw).toMatch(/engine\.worker-[\w-]+\.js/);
    expect(sw).not.toMatch(/\.gguf/);
    const html = await readFile(join(v1, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts
    expect(html).not.toMatch(/(src|href)="\//); // relative URLs: works under any base path
  });

  it('runs under a strict CSP, then offline from its service worker and the IndexedDB cache, and prompts for a new version', async () => {
    app.headers = { ...isolation, 'Content-Security-Policy': strictCsp(files.url) };
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${app.url}/`);
    await page.click('#tab-model');
    await page.fill('#model-url', `${files.url}/tiny.gguf`);
    await page.click('#url-form button[type="submit"]');
    await page.waitForSelector('gemma-chat[state="ready"]', { state: 'attached', timeout: 120_000 });
    const first = await sendAndWait(page, 'Hello there');
    expect(await first.locator('.stats').textContent()).toMatch(/tok\/s/);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated', undefined, { timeout: 60_000 });
    await page.reload();
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, undefined, { timeout: 15_000 });
    await page.waitForSelector('gemma-chat[state="ready"]', { state: 'attached', timeout: 120_000 });

    // Offline: the network is cut for the page, its worker and the service worker.
    await context.setOffline(true);
    const before = app.log.length;
    await page.reload();
    await page.waitForSelector('gemma-chat[state="ready"]', { state: 'attached', timeout: 120_000 });
    const readyMs = await page.evaluate(() => performance.getEntriesByName('gemma-ready')[0]?.startTime);
    console.log(`page load -> ready with the cached model, offline: ${Math.round(readyMs)} ms`);
    // A new conversation: the first answer (random weights, up to max tokens) plus the three demo tools' declarations
    // can fill the fixture's 2,048-token context, which would be a (correct) context-full banner, not what this tests.
    await page.click('#tab-chats');
    await page.click('#new-chat');
    const offline = await sendAndWait(page, 'Are you still there?');
    expect(await offline.locator('.stats').textContent()).toMatch(/tok\/s/);
    // Nothing of the app reached the server. (The browser's own service-worker update check for sw.js is not
    // cut by Playwright's offline emulation; it is not the page loading anything.)
    expect(app.log.slice(before).filter((p) => !/^\/(sw\.js|workbox-[\w-]+\.js)$/.test(p))).toEqual([]);
    await context.setOffline(false);

    // A new deployment: the waiting worker shows the prompt; Reload switches to it.
    app.setRoot(join(out, 'v2'));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await page.waitForSelector('#update:not([hidden])', { timeout: 60_000 });
    expect(await page.textContent('#update')).toMatch(/new version is ready/);
    await Promise.all([page.waitForEvent('load'), page.click('#update-reload')]);
    const reg = await page.evaluate(async () => {
      const r = (await navigator.serviceWorker.getRegistration())!;
      return { waiting: !!r.waiting, active: r.active?.state };
    });
    expect(reg).toEqual({ waiting: false, active: 'activated' });
    expect(await page.isHidden('#update')).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
    app.setRoot(join(out, 'v1'));
  });
});

describe('the one-tag embed on a page of another site', () => {
  let host: StaticServer;
  let embedOrigin: string;

  beforeAll(async () => {
    // Our files from "localhost" with CORS (what a CDN would send); the host page from 127.0.0.1: two sites.
    app.headers = { 'Access-Control-Allow-Origin': '*' };
    embedOrigin = `http://localhost:${new URL(app.url).port}`;
    host = await startStaticServer(join(out, 'v1'));
    const hostCsp = [
      "default-src 'self'",
      `script-src 'self' ${embedOrigin} 'wasm-unsafe-eval'`,
      'worker-src blob:',
      "style-src 'self'",
      `connect-src 'self' ${embedOrigin} ${files.url}`,
    ].join('; ');
    host.page('/host.css', 'html { font-size: 10px; } body { font: 30px/3 serif; color: rgb(200, 0, 0); letter-spacing: 3px; } * { margin: 7px; } p { background: yellow; } .msg, .body, textarea { font-weight: 900; border: 5px solid lime; } gemma-chat { height: 520px; }', { 'Content-Type': 'text/css' });
    host.page(
      '/host.html',
      `<!doctype html><html><head><meta charset="utf-8"><title>host</title><link rel="stylesheet" href="/host.css">
<script type="module" src="${embedOrigin}/gemma-embed.js"></script></head>
<body><p class="outside">Host text</p><div class="msg" id="host-msg">host msg</div>
<gemma-chat model="${files.url}/tiny.gguf" context-length="256" system-prompt="Be brief."></gemma-chat></body></html>`,
      { 'Content-Security-Policy': hostCsp },
    );
  });
  afterAll(async () => host?.close());

  it('loads the model into the host site storage and answers, with the host CSS kept out and its own kept in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${host.url}/host.html`);
    await page.waitForSelector('gemma-chat[state="ready"]', { state: 'attached', timeout: 120_000 });
    const answer = await sendAndWait(page, 'Hello from the host');
    expect(await answer.locator('.stats').textContent()).toMatch(/tok\/s/);
    // The weights live in the host site's IndexedDB.
    expect(await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).toContain('gemma4-webgpu-models');
    const styles = await page.evaluate(() => {
      const root = document.querySelector('gemma-chat')!.shadowRoot!;
      const cs = (el: Element | null) => (el ? getComputedStyle(el) : undefined);
      const p = root.querySelector('.msg.assistant .body p') ?? root.querySelector('.msg.assistant .body');
      const user = root.querySelector('.msg.user .body');
      const rootEl = root.querySelector('.root');
      return {
        pBg: cs(p)?.backgroundColor,
        pMargin: cs(root.querySelector('.msg.assistant .body p'))?.marginLeft,
        userBorder: cs(user)?.borderTopWidth,
        weight: cs(user)?.fontWeight,
        rootFont: cs(rootEl)?.fontFamily,
        rootSize: cs(rootEl)?.fontSize,
        rootColor: cs(rootEl)?.color,
        spacing: cs(rootEl)?.letterSpacing,
        hostP: getComputedStyle(document.querySelector('p.outside')!).backgroundColor,
        hostMsgPadding: getComputedStyle(document.getElementById('host-msg')!).paddingTop,
        hostMsgBorder: getComputedStyle(document.getElementById('host-msg')!).borderTopColor,
      };
    });
    expect(styles.pBg).toBe('rgba(0, 0, 0, 0)');
    expect(styles.userBorder).toBe('0px');
    expect(styles.weight).toBe('400');
    expect(styles.rootFont).toMatch(/system-ui/);
    expect(styles.rootSize).toBe('15px');
    expect(styles.rootColor).not.toBe('rgb(200, 0, 0)');
    expect(styles.spacing).toBe('normal');
    if (styles.pMargin !== undefined) expect(styles.pMargin).toBe('0px');
    // ...and ours does not leak out: the host's own .msg keeps the host's rules only.
    expect(styles.hostP).toBe('rgb(255, 255, 0)');
    expect(styles.hostMsgPadding).toBe('0px');
    expect(styles.hostMsgBorder).toBe('rgb(0, 255, 0)');
    await page.screenshot({ path: 'docs/screenshots/embed-host-page.png' });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('exports createEngine() with the same engine, started from a blob: bootstrap on the foreign page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${host.url}/host.html`);
    // A string, so the test runner leaves the page's dynamic import() alone.
    const r = (await page.evaluate(`(async () => {
      const m = await import(${JSON.stringify(`${embedOrigin}/gemma-embed.js`)});
      const engine = m.createEngine();
      await engine.load(${JSON.stringify(`${files.url}/tiny.gguf`)}, { contextLength: 128 });
      let text = '';
      let finish = '';
      for await (const c of await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 6, temperature: 0 })) {
        text += c.choices[0]?.delta.content ?? '';
        finish = c.choices[0]?.finish_reason ?? finish;
      }
      const again = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 6, temperature: 0 });
      return { text, result: again.choices[0].message.content, finish };
    })()`)) as { text: string; result: string; finish: string };
    expect(r.text).toBe(r.result); // streamed and non-streamed, greedy: the same text
    expect(r.text.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(r.finish);
    await context.close();
  });
});
