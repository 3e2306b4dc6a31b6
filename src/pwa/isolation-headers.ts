// The cross-origin isolation headers the service worker adds to what it serves (see sw.ts), kept free of
// service-worker globals so that Node tests can run them.

export type CoepValue = 'credentialless' | 'require-corp';

/**
 * The COEP value named by the service worker's script URL (`sw.js?coep=...`). `require-corp` when absent or unknown:
 * every browser that can be isolated supports it, and the app's only cross-origin loads (model downloads) are CORS
 * requests, which COEP require-corp lets through without a Cross-Origin-Resource-Policy header.
 */
export function coepFromScriptUrl(url: string): CoepValue {
  return new URL(url).searchParams.get('coep') === 'credentialless' ? 'credentialless' : 'require-corp';
}

/** The same response with COOP same-origin and the given COEP (opaque and error responses are passed through). */
export function withIsolationHeaders(response: Response, coep: CoepValue): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.type === 'error' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', coep);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
