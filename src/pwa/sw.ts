// The app's service worker (vite-plugin-pwa injectManifest): precaches the app shell for offline use, serves
// index.html for every navigation in scope, and re-issues each response it serves with COOP/COEP, so that the app is
// cross-origin isolated (SharedArrayBuffer, the CPU path's threads) even from a static host that sends no headers.
// It only sees requests of pages in its own scope: a third-party page embedding gemma-embed.js is never touched.
/// <reference lib="webworker" />
import { addPlugins, cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { coepFromScriptUrl, withIsolationHeaders } from './isolation-headers.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };

// The page picks the COEP value (credentialless where the browser has it) and puts it in the script URL, so it
// survives the worker being stopped and restarted, and a change of choice is an ordinary update.
const coep = coepFromScriptUrl(self.location.href);

// Every response of the precache strategy (documents, workers, their chunks) gets the headers: on documents and
// worker scripts they make the page and its (nested) workers isolated; on other subresources they are ignored.
addPlugins([{ handlerWillRespond: async ({ response }) => withIsolationHeaders(response, coep) }]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));

// workbox-window's messageSkipWaiting() (the "new version" prompt's Reload button).
self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
