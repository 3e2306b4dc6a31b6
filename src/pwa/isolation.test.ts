import { describe, expect, it } from 'vitest';
import { coepFromScriptUrl, withIsolationHeaders } from './isolation-headers.js';
import { shouldReloadForIsolation, type IsolationState } from './isolation-reload.js';

describe('the service worker isolation headers', () => {
  it('reads the COEP value from the script URL, require-corp when absent or unknown', () => {
    expect(coepFromScriptUrl('https://a.example/app/sw.js?coep=credentialless')).toBe('credentialless');
    expect(coepFromScriptUrl('https://a.example/app/sw.js?coep=require-corp')).toBe('require-corp');
    expect(coepFromScriptUrl('https://a.example/app/sw.js')).toBe('require-corp');
    expect(coepFromScriptUrl('https://a.example/app/sw.js?coep=unsafe-none')).toBe('require-corp');
  });

  it('re-issues a response with COOP/COEP, keeping status, body and the other headers', async () => {
    const original = new Response('<!doctype html>hi', { status: 200, statusText: 'OK', headers: { 'Content-Type': 'text/html', 'Cross-Origin-Embedder-Policy': 'unsafe-none' } });
    const r = withIsolationHeaders(original, 'credentialless');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('credentialless');
    expect(await r.text()).toBe('<!doctype html>hi');
    const notFound = withIsolationHeaders(new Response('no', { status: 404 }), 'require-corp');
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('passes an error response through unchanged', () => {
    const e = Response.error();
    expect(withIsolationHeaders(e, 'require-corp')).toBe(e);
  });
});

describe('the one reload that makes a first visit isolated', () => {
  const first: IsolationState = { isolated: false, controlled: false, topLevel: true, alreadyTried: false, idle: true };
  const cases: Array<[string, Partial<IsolationState>, boolean]> = [
    ['first visit, not isolated, not controlled', {}, true],
    ['already isolated (the server sent the headers)', { isolated: true }, false],
    ['a browser without cross-origin isolation', { isolated: undefined }, false],
    ['already controlled by a service worker (reloading cannot help)', { controlled: true }, false],
    ['inside a frame (isolation needs the embedding page too)', { topLevel: false }, false],
    ['this tab already tried once (no loop)', { alreadyTried: true }, false],
    ['a model is loading or an answer is streaming', { idle: false }, false],
  ];
  it.each(cases)('%s', (_name, change, expected) => {
    expect(shouldReloadForIsolation({ ...first, ...change })).toBe(expected);
  });
});
