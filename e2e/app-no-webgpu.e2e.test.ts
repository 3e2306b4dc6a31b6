// The chat app in a Chromium with WebGPU turned off: the default backend 'auto' runs the model on the CPU
// (WebAssembly), so the app must not show an error: it shows a note that says the CPU path is used and how to get
// full speed, and the chat answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../scripts/browser-harness.js';
import { writeTinyModel } from './app-fixtures.js';

const NO_WEBGPU = ['--no-sandbox', '--disable-features=WebGPU', '--disable-dev-shm-usage', '--no-first-run'];
let h: Harness;

beforeAll(async () => {
  const { file } = await writeTinyModel();
  h = await startHarness({ page: 'index.html', args: NO_WEBGPU });
  h.files.serve('/tiny.gguf', file);
  await h.page.waitForSelector('gemma-chat[state]', { state: 'attached' });
});
afterAll(async () => h?.close());

describe('chat app without WebGPU', () => {
  it('says the model runs on the CPU (an info note, not an error), says how to get full speed, and answers', async () => {
    const page = h.page;
    expect(await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()))).toBe(false);
    await page.click('#tab-settings');
    await page.fill('#s-max', '6');
    await page.dispatchEvent('#s-max', 'change');
    await page.click('#tab-model');
    await page.fill('#model-url', `${h.files.url}/tiny.gguf`);
    await page.click('#url-form button[type="submit"]');
    await page.waitForSelector('gemma-chat[state="ready"]', { timeout: 180_000, state: 'attached' });
    const note = page.locator('gemma-chat .banner');
    expect(await note.getAttribute('data-code')).toBe('CPU_BACKEND');
    expect(await note.getAttribute('class')).toBe('banner info');
    const text = (await note.textContent())!;
    expect(text).toMatch(/No usable WebGPU here: the model runs on the CPU \(WebAssembly\)/);
    expect(text).toMatch(/open this page in a browser with WebGPU turned on/);
    expect(text).toMatch(/WebGPU/i);
    await page.fill('gemma-chat textarea#prompt', 'Hello');
    await page.press('gemma-chat textarea#prompt', 'Enter');
    await page.waitForSelector('gemma-chat .msg.assistant .stats', { timeout: 180_000 });
    expect(await page.locator('gemma-chat .msg.assistant .stats').textContent()).toMatch(/tok\/s/);
    expect(await page.locator('gemma-chat .banner[data-code]:not([data-code="CPU_BACKEND"])').count()).toBe(0);
  });
});
