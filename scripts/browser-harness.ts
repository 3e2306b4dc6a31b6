// Runs project code in headless Chromium with WebGPU: a Vite dev server for the pages, a Range file server for
// models, and Playwright (playwright-core) driving Debian's Chromium. Used by the logits command, benchmarks, e2e.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { startRangeServer, type RangeServer } from '../e2e/range-server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';

export interface Harness {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Base URL of the Vite server (pages, scripts). */
  readonly appUrl: string;
  /** Serves model files with Range support and fault injection. */
  readonly files: RangeServer;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Page to open, relative to the project root (default e2e/pages/harness.html). */
  readonly page?: string;
  /** Forward page console messages to this function. */
  readonly onConsole?: (text: string) => void;
  readonly headless?: boolean;
  /** Chromium flags instead of test/chromium.ts's CHROMIUM_ARGS (e.g. WebGPU disabled for the CPU path). */
  readonly args?: readonly string[];
  /**
   * true: COOP + COEP require-corp (cross-origin isolated: SharedArrayBuffer, CPU threads); false: not isolated
   * (COOP/COEP unsafe-none, overriding vite.config.ts); unset: vite.config.ts's headers (isolated, credentialless).
   */
  readonly crossOriginIsolated?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const files = await startRangeServer();
  let vite: ViteDevServer | undefined;
  let browser: Browser | undefined;
  try {
    // No HMR: a page under test must never reload because a source file changed on disk.
    const headers =
      options.crossOriginIsolated === undefined
        ? undefined
        : options.crossOriginIsolated
          ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
          : { 'Cross-Origin-Opener-Policy': 'unsafe-none', 'Cross-Origin-Embedder-Policy': 'unsafe-none' };
    vite = await createServer({ server: { port: 0, host: '127.0.0.1', hmr: false, headers }, logLevel: 'error', clearScreen: false });
    await vite.listen();
    const appUrl = vite.resolvedUrls!.local[0].replace(/\/$/, '');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...(options.args ?? CHROMIUM_ARGS)], headless: options.headless ?? true });
    const context = await browser.newContext();
    const page = await context.newPage();
    if (options.onConsole) page.on('console', (m) => options.onConsole!(m.text()));
    page.on('pageerror', (e) => options.onConsole?.(`pageerror: ${e.message}`));
    await page.goto(`${appUrl}/${options.page ?? 'e2e/pages/harness.html'}`);
    const b = browser;
    const v = vite;
    return {
      browser: b,
      context,
      page,
      appUrl,
      files,
      close: async () => {
        await b.close();
        await v.close();
        await files.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await vite?.close();
    await files.close();
    throw e;
  }
}
